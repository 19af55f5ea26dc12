// Pure planning for `kaos mcp init`: which files a template produces, with their contents.
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {stringify} from 'yaml'

import {API_VERSION, type MCPServerDoc, parseDocument} from '../documents.js'
import {type ProjectType, generateDockerfile, imageReference} from './project.js'

export {TEMPLATES} from './templates.js'
/** Every template starts at this version, so the first build's tag is known at init time. */
export const TEMPLATE_VERSION = '0.1.0'

/**
 * The packaged `templates/` folder. Found by walking up from this module, because the bundle
 * puts it at dist/index.js or dist/chunks/*.js, and tests run it from src/lib/image/.
 */
export function templatesRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    if (existsSync(join(dir, 'templates', 'python', 'server.py')) && existsSync(join(dir, 'package.json'))) return join(dir, 'templates')
    const up = dirname(dir)
    if (up === dir) throw new Error(`kaos templates not found above ${from}`)
    dir = up
  }
}

export interface PlannedFile {
  /** Path relative to the project folder. */
  path: string
  content: string
}

export interface InitPlan {
  name: string
  template: ProjectType
  /** The image `kaos mcp build` will produce for this project (no registry). */
  image: string
  files: PlannedFile[]
}

/** npm drops `.gitignore` files from published packages, so templates keep it as `gitignore`. */
const RENAMED: Record<string, string> = {gitignore: '.gitignore'}

function listFiles(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel))
    .sort()
    .flatMap((n) => (statSync(join(root, rel, n)).isDirectory() ? listFiles(root, join(rel, n)) : [join(rel, n)]))
}

/** The MCPServer document for a built project, ready for `kaos mcp deploy -f`. */
export function mcpServerForImage(name: string, image: string): MCPServerDoc {
  return parseDocument(
    {apiVersion: API_VERSION, kind: 'MCPServer', metadata: {name}, spec: {runtime: 'custom', container: {image, imagePullPolicy: 'IfNotPresent'}}},
    'mcp.yaml',
  ) as MCPServerDoc
}

export function planInit(opts: {name: string; template: ProjectType; createDockerfile?: boolean; createYaml?: boolean; templatesDir?: string}): InitPlan {
  const root = join(opts.templatesDir ?? templatesRoot(), opts.template)
  const image = imageReference({name: opts.name, version: TEMPLATE_VERSION})
  const files: PlannedFile[] = listFiles(root).map((p) => {
    const base = p.split('/').pop()!
    const path = RENAMED[base] ? join(dirname(p), RENAMED[base]) : p
    return {path, content: readFileSync(join(root, p), 'utf8').replaceAll('{{name}}', opts.name)}
  })
  if (opts.createDockerfile)
    files.push({
      path: 'Dockerfile',
      content: generateDockerfile(opts.template, {fastmcpPath: 'server:mcp', manifest: opts.template === 'python' ? 'pyproject.toml' : 'package.json', main: 'dist/server.js', generator: 'kaos mcp init'}),
    })
  if (opts.createYaml) {
    const doc = mcpServerForImage(opts.name, image)
    files.push({
      path: 'mcp.yaml',
      content: `# Deploy with: kaos mcp deploy -f mcp.yaml (after \`kaos mcp build\`, which produces ${image}).\n${stringify(doc, {lineWidth: 0})}`,
    })
  }
  return {name: opts.name, template: opts.template, image, files}
}
