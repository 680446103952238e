import { SESSION_ATTRIBUTES, TOKEN_ATTRIBUTES } from '../../lambdas/core/contract.js';

test('a new session is created with every stored token attribute', () => {
  expect(SESSION_ATTRIBUTES.create).toEqual(expect.arrayContaining([...TOKEN_ATTRIBUTES.stored]));
});

test('the functions that use tokens may name every stored token attribute and the lease', () => {
  expect(SESSION_ATTRIBUTES.tokens).toEqual(expect.arrayContaining([...TOKEN_ATTRIBUTES.stored, ...TOKEN_ATTRIBUTES.lease]));
});

test('the session read of the authorizers and /me names no token attribute', () => {
  const tokenAttributes: readonly string[] = [...TOKEN_ATTRIBUTES.stored, ...TOKEN_ATTRIBUTES.lease];
  expect(SESSION_ATTRIBUTES.read.filter((name) => tokenAttributes.includes(name))).toEqual([]);
});
