import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { inputProblem, MAX_INPUT_DEPTH } from './request-guard.js';

const nestedArrays = (depth: number): unknown => {
  let value: unknown = [];
  for (let level = 1; level < depth; level++) value = [value];
  return value;
};
const nestedObjects = (depth: number): unknown => {
  let value: unknown = {};
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
};

describe('inputProblem: NUL characters and nesting depth in a parsed body or query', () => {
  it(`lets ${MAX_INPUT_DEPTH} levels through and refuses ${MAX_INPUT_DEPTH + 1}, for lists and objects alike`, () => {
    assert.equal(inputProblem(nestedArrays(MAX_INPUT_DEPTH)), undefined);
    assert.equal(inputProblem(nestedObjects(MAX_INPUT_DEPTH)), undefined);
    assert.equal(inputProblem(nestedArrays(MAX_INPUT_DEPTH + 1)), 'too_deep');
    assert.equal(inputProblem(nestedObjects(MAX_INPUT_DEPTH + 1)), 'too_deep');
    assert.equal(inputProblem({ ok: 'x', list: [1, 2, { deep: nestedArrays(MAX_INPUT_DEPTH) }] }), 'too_deep');
  });

  it('walks 100,000 levels without a stack overflow (the 500 it replaced)', () => {
    assert.equal(inputProblem(nestedArrays(100_000)), 'too_deep');
    assert.equal(inputProblem(nestedObjects(100_000)), 'too_deep');
  });

  it('finds a NUL in a value or a key, at any depth within the bound', () => {
    assert.equal(inputProblem('a\u0000b'), 'nul');
    assert.equal(inputProblem({ 'x\u0000': 'y' }), 'nul');
    assert.equal(inputProblem({ a: [{ b: ['fine', 'not\u0000fine'] }] }), 'nul');
    assert.equal(inputProblem({ a: 'fine', n: 1, t: true, z: null }), undefined);
  });

  it('does not walk a raw upload (a stream) or a buffer, and takes wide input', () => {
    assert.equal(inputProblem(Readable.from(['a\u0000'])), undefined);
    assert.equal(inputProblem(Buffer.from('a\u0000b')), undefined);
    assert.equal(inputProblem(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'v']))), undefined);
    assert.equal(inputProblem(undefined), undefined);
  });
});
