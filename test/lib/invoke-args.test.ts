import assert from 'node:assert/strict'

import {KaosError} from '../../src/lib/errors.js'
import {
  type JsonSchema,
  buildArguments,
  checkValue,
  coerceValue,
  describeSchema,
  parseArgFlags,
  parseArgsJson,
  schemaTypes,
  validateArguments,
} from '../../src/lib/invoke/args.js'

const ADD: JsonSchema = {
  type: 'object',
  properties: {a: {type: 'integer', description: 'first'}, b: {type: 'integer'}},
  required: ['a', 'b'],
  additionalProperties: false,
}

function value(raw: string, schema: JsonSchema | undefined): unknown {
  const c = coerceValue(raw, schema)
  assert.ok('value' in c, `expected a value for ${raw}, got ${JSON.stringify(c)}`)
  return c.value
}

function problem(raw: string, schema: JsonSchema): string {
  const c = coerceValue(raw, schema)
  assert.ok('error' in c, `expected an error for ${raw}`)
  return c.error
}

describe('parseArgFlags', () => {
  it('splits KEY=VALUE at the first =, keeps empty values and = in values', () => {
    assert.deepEqual(parseArgFlags(['a=1', 'q=x=y', 'e=']), [
      {key: 'a', value: '1', json: false},
      {key: 'q', value: 'x=y', json: false},
      {key: 'e', value: '', json: false},
    ])
  })
  it('reads KEY:=JSON as a JSON value', () => {
    assert.deepEqual(parseArgFlags(['tags:=["a"]']), [{key: 'tags', value: '["a"]', json: true}])
  })
  it('rejects a pair without = (exit 2)', () => {
    assert.throws(() => parseArgFlags(['novalue']), (e: KaosError) => e.exit === 2 && /KEY=VALUE/.test(e.message))
    assert.throws(() => parseArgFlags(['=x']), (e: KaosError) => e.exit === 2)
  })
})

describe('parseArgsJson', () => {
  it('parses an object, treats empty as {}', () => {
    assert.deepEqual(parseArgsJson('{"a": 1}'), {a: 1})
    assert.deepEqual(parseArgsJson(undefined), {})
    assert.deepEqual(parseArgsJson('  '), {})
  })
  it('rejects invalid JSON and non-objects', () => {
    assert.throws(() => parseArgsJson('{a:1}'), (e: KaosError) => e.exit === 2 && /not valid JSON/.test(e.message))
    assert.throws(() => parseArgsJson('[1]'), (e: KaosError) => e.exit === 2 && /JSON object/.test(e.message))
    assert.throws(() => parseArgsJson('3'), (e: KaosError) => e.exit === 2)
  })
})

describe('schemaTypes', () => {
  it('reads type, type lists, anyOf/oneOf branches and enum/const values', () => {
    assert.deepEqual(schemaTypes({type: 'integer'}), ['integer'])
    assert.deepEqual(schemaTypes({type: ['string', 'null']}), ['string', 'null'])
    assert.deepEqual(schemaTypes({anyOf: [{type: 'integer'}, {type: 'null'}]}), ['integer', 'null'])
    assert.deepEqual(schemaTypes({enum: ['a', 'b']}), ['string'])
    assert.deepEqual(schemaTypes({const: 3}), ['integer'])
    assert.deepEqual(schemaTypes({}), [])
    assert.deepEqual(schemaTypes(undefined), [])
  })
})

describe('coerceValue', () => {
  it('integers, numbers and booleans from their text', () => {
    assert.equal(value('42', {type: 'integer'}), 42)
    assert.equal(value('-7', {type: 'integer'}), -7)
    assert.equal(value('2.5', {type: 'number'}), 2.5)
    assert.equal(value('1e3', {type: 'number'}), 1000)
    assert.equal(value('3', {type: 'number'}), 3)
    for (const t of ['true', 'TRUE', 'yes', 'on', '1']) assert.equal(value(t, {type: 'boolean'}), true)
    for (const f of ['false', 'no', 'off', '0']) assert.equal(value(f, {type: 'boolean'}), false)
  })
  it('rejects text that is not of the wanted type', () => {
    assert.match(problem('x', {type: 'integer'}), /expected integer, got "x"/)
    assert.match(problem('2.5', {type: 'integer'}), /expected integer/)
    assert.match(problem('maybe', {type: 'boolean'}), /expected boolean/)
    assert.match(problem('', {type: 'number'}), /expected number/)
    assert.match(problem('99999999999999999999', {type: 'integer'}), /expected integer/)
  })
  it('strings stay strings, even when they look like numbers', () => {
    assert.equal(value('007', {type: 'string'}), '007')
    assert.equal(value('', {type: 'string'}), '')
    assert.equal(value('true', {type: 'string'}), 'true')
  })
  it('unions prefer the non-string reading, and fall back to string', () => {
    assert.equal(value('5', {anyOf: [{type: 'integer'}, {type: 'string'}]}), 5)
    assert.equal(value('abc', {anyOf: [{type: 'integer'}, {type: 'string'}]}), 'abc')
    assert.equal(value('null', {type: ['integer', 'null']}), null)
    assert.equal(value('4', {type: ['integer', 'null']}), 4)
  })
  it('string enums keep the string, even a numeric-looking one', () => {
    assert.equal(value('1', {enum: ['1', '2']}), '1')
    assert.equal(value('Chicago', {type: 'string', enum: ['Chicago']}), 'Chicago')
  })
  it('arrays from JSON or comma-separated, elements coerced by items', () => {
    assert.deepEqual(value('[1, 2]', {type: 'array', items: {type: 'integer'}}), [1, 2])
    assert.deepEqual(value('1,2,3', {type: 'array', items: {type: 'integer'}}), [1, 2, 3])
    assert.deepEqual(value('a, b', {type: 'array', items: {type: 'string'}}), ['a', 'b'])
    assert.deepEqual(value('', {type: 'array'}), [])
    assert.match(problem('1,x', {type: 'array', items: {type: 'integer'}}), /element "x": expected integer/)
  })
  it('objects from JSON only', () => {
    assert.deepEqual(value('{"k": 1}', {type: 'object'}), {k: 1})
    assert.match(problem('k=1', {type: 'object'}), /expected object.*JSON/)
  })
  it('no schema: the text as is', () => {
    assert.equal(value('12', undefined), '12')
    assert.equal(value('12', {}), '12')
  })
})

describe('checkValue', () => {
  it('accepts matching JSON types, integers for numbers', () => {
    assert.equal(checkValue(3, {type: 'integer'}), undefined)
    assert.equal(checkValue(3, {type: 'number'}), undefined)
    assert.equal(checkValue(null, {type: ['string', 'null']}), undefined)
    assert.equal(checkValue([1, 2], {type: 'array', items: {type: 'integer'}}), undefined)
  })
  it('names the mismatch', () => {
    assert.match(checkValue('3', {type: 'integer'})!, /expected integer, got string "3"/)
    assert.match(checkValue(2.5, {type: 'integer'})!, /expected integer, got number/)
    assert.match(checkValue('x', {enum: ['a', 'b']})!, /must be one of "a", "b"/)
    assert.match(checkValue([1, 'x'], {type: 'array', items: {type: 'integer'}})!, /element 1: expected integer/)
  })
})

describe('validateArguments', () => {
  it('passes a complete, well-typed object', () => {
    assert.deepEqual(validateArguments({a: 1, b: 2}, ADD), [])
  })
  it('reports unknown (with a did-you-mean), missing required and wrong types together', () => {
    const problems = validateArguments({aa: 1, b: 'x'}, ADD)
    assert.deepEqual(problems, ['unknown argument "aa". Did you mean "a"?', 'missing required argument "a"', 'argument "b": expected integer, got string "x"'])
  })
  it('a tool that forbids extras and has no properties takes no arguments', () => {
    assert.deepEqual(validateArguments({x: 1}, {type: 'object', properties: {}, additionalProperties: false}), ['unknown argument "x" (it takes no arguments)'])
    assert.deepEqual(validateArguments({}, {type: 'object'}), [])
  })
  it('extra arguments are allowed where the schema does not forbid them (JSON Schema default)', () => {
    assert.deepEqual(validateArguments({x: 1}, {type: 'object', properties: {}}), [])
    assert.deepEqual(validateArguments({a: 1, b: 2, c: 3}, {...ADD, additionalProperties: undefined}), [])
  })
  it('additionalProperties lets extra arguments through', () => {
    assert.deepEqual(validateArguments({x: 1}, {type: 'object', properties: {}, additionalProperties: true}), [])
    assert.deepEqual(validateArguments({x: 1}, {type: 'object', additionalProperties: {type: 'integer'}}), [])
  })
  it('no schema: nothing to check', () => {
    assert.deepEqual(validateArguments({x: 1}, undefined), [])
  })
})

describe('buildArguments', () => {
  it('coerces --arg pairs by the schema and merges them over --args JSON', () => {
    const args = buildArguments({what: 'tool "add"', schema: ADD, json: {a: 5, b: 1}, args: parseArgFlags(['b=2'])})
    assert.deepEqual(args, {a: 5, b: 2})
  })
  it('KEY:=JSON values are taken as JSON', () => {
    const schema: JsonSchema = {type: 'object', properties: {tags: {type: 'array'}, n: {type: 'integer'}}}
    assert.deepEqual(buildArguments({what: 't', schema, args: parseArgFlags(['tags:=["x", 1]', 'n:=3'])}), {tags: ['x', 1], n: 3})
  })
  it('one invalid-input error (exit 2) listing every problem, with the schema in the suggestions', () => {
    try {
      buildArguments({what: 'tool "add"', schema: ADD, args: parseArgFlags(['a=x', 'c=3'])})
      assert.fail('expected an error')
    } catch (error) {
      const e = error as KaosError
      assert.equal(e.exit, 2)
      assert.equal(e.message, 'tool "add": argument "a": expected integer, got "x"; unknown argument "c". Did you mean "a"?; missing required argument "b"')
      assert.match(e.suggestions[0], /^tool "add" takes: a: integer \(required\) - first; b: integer \(required\)$/)
      assert.deepEqual((e.data as {inputSchema: unknown}).inputSchema, ADD)
    }
  })
  it('bad JSON after := is reported, not thrown raw', () => {
    assert.throws(
      () => buildArguments({what: 't', schema: {type: 'object', properties: {x: {}}}, args: parseArgFlags(['x:={nope'])}),
      (e: KaosError) => e.exit === 2 && /argument "x": "\{nope" is not valid JSON/.test(e.message),
    )
  })
  it('skipValidation sends what it was given (still coerced)', () => {
    assert.deepEqual(buildArguments({what: 't', schema: ADD, args: parseArgFlags(['a=1', 'zzz=q']), skipValidation: true}), {a: 1, zzz: 'q'})
  })
  it('a tool with no arguments says so', () => {
    assert.throws(
      () => buildArguments({what: 'tool "ping"', schema: {type: 'object', properties: {}, additionalProperties: false}, args: parseArgFlags(['x=1'])}),
      (e: KaosError) => e.suggestions[0] === 'tool "ping" takes no arguments',
    )
  })
  it('an argument the schema allows but does not name is sent, with a warning and a did-you-mean', () => {
    const warnings: string[] = []
    const schema: JsonSchema = {type: 'object', properties: {city: {type: 'string'}}}
    assert.deepEqual(buildArguments({what: 'tool "weather"', schema, args: parseArgFlags(['city=Oslo', 'citty=Bergen']), warnings}), {city: 'Oslo', citty: 'Bergen'})
    assert.deepEqual(warnings, ['tool "weather" does not declare argument "citty"; sending it anyway (its schema allows extra arguments). Did you mean "city"?'])
  })
})

describe('describeSchema', () => {
  it('one line per argument, required first, with enums and defaults', () => {
    const lines = describeSchema({
      type: 'object',
      properties: {
        mode: {type: 'string', enum: ['fast', 'slow'], default: 'fast'},
        name: {type: 'string', description: 'Who\nsecond line ignored'},
        tags: {type: 'array', items: {type: 'string'}},
        any: {},
      },
      required: ['name'],
    })
    assert.deepEqual(lines, [
      'name: string (required) - Who',
      'mode: string (one of "fast", "slow") (default "fast")',
      'tags: array of string (optional)',
      'any: any (optional)',
    ])
  })
  it('empty for no schema', () => {
    assert.deepEqual(describeSchema(undefined), [])
  })
})
