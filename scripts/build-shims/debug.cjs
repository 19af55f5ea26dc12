// Stand-in for the `debug` package inside kaos's bundle: oclif logs through `debug`, whose Node
// build loads node:tty and colour support on every start (~8 ms of each kaos command), although
// nothing is printed unless DEBUG is set. This does what oclif uses: namespaces, DEBUG patterns
// (`*`, `-name` to exclude), printf-style arguments, extend(), enabled.
'use strict'
const {format} = require('node:util')

function patterns() {
  return (process.env.DEBUG || '').split(/[\s,]+/).filter(Boolean)
}

function matches(ns) {
  let on = false
  for (const p of patterns()) {
    const negate = p.startsWith('-')
    const re = new RegExp(`^${(negate ? p.slice(1) : p).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?')}$`)
    if (re.test(ns)) on = !negate
  }
  return on
}

function createDebug(namespace) {
  const debug = (...args) => {
    if (!debug.enabled) return
    debug.log(`${new Date().toISOString()} ${namespace} ${format(...args)}`)
  }
  debug.namespace = namespace
  debug.enabled = matches(namespace)
  debug.log = (line) => process.stderr.write(`${line}\n`)
  debug.extend = (sub, delimiter = ':') => createDebug(`${namespace}${delimiter}${sub}`)
  debug.destroy = () => {}
  return debug
}

createDebug.enabled = matches
createDebug.enable = (ns) => {
  process.env.DEBUG = ns
}
createDebug.disable = () => {
  const was = process.env.DEBUG || ''
  process.env.DEBUG = ''
  return was
}
createDebug.formatters = {}
createDebug.default = createDebug
createDebug.debug = createDebug
module.exports = createDebug
