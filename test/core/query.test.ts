import { MAX_QUERY_LENGTH, QueryError, parseQuery, type QueryProblem } from '../../lambdas/core/query.js';

function problemOf(rawQueryString: string): { problem: QueryProblem; parameter: string | undefined } {
  try {
    parseQuery(rawQueryString);
  } catch (error) {
    if (error instanceof QueryError) return { problem: error.problem, parameter: error.parameter };
    throw error;
  }
  throw new Error(`parsed without error: ${rawQueryString}`);
}

describe('parseQuery', () => {
  test.each([undefined, ''])('an absent query (%j) has no parameters', (raw) => {
    expect(parseQuery(raw).size).toBe(0);
  });

  test('decodes names and values as application/x-www-form-urlencoded', () => {
    expect([...parseQuery('a=1&b=two+words&c=%2B&d=%C3%A9t%C3%A9&e%5B%5D=x&f=a%3Db')]).toEqual([
      ['a', '1'],
      ['b', 'two words'],
      ['c', '+'],
      ['d', 'été'],
      ['e[]', 'x'],
      ['f', 'a=b'],
    ]);
  });

  test('a name without "=" has an empty value, and everything after the first "=" is the value', () => {
    expect([...parseQuery('flag&x=a=b&empty=')]).toEqual([
      ['flag', ''],
      ['x', 'a=b'],
      ['empty', ''],
    ]);
  });

  test('empty pieces between separators are ignored', () => {
    expect([...parseQuery('&a=1&&b=2&')]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  test.each([
    ['the same name twice', 'state=a&state=b', 'state'],
    ['the same name and value twice', 'code=x&code=x', 'code'],
    ['a name that only repeats once decoded', 'state=a&%73tate=b', 'state'],
    ['an empty name twice', '=a&=b', ''],
  ])('rejects %s', (_label, raw, parameter) => {
    expect(problemOf(raw)).toEqual({ problem: 'duplicate_parameter', parameter });
  });

  test.each([
    ['a lone "%"', 'code=%'],
    ['a truncated escape', 'code=abc%2'],
    ['a non-hex escape', 'code=%zz'],
    ['an incomplete UTF-8 sequence', 'code=%E0%A4%A'],
    ['an invalid UTF-8 byte', 'code=%FF'],
    ['a lone surrogate', 'code=%ED%A0%80'],
    ['bad encoding in a name', '%E0=1'],
  ])('reports %s as malformed encoding instead of throwing URIError', (_label, raw) => {
    expect(problemOf(raw)).toEqual({ problem: 'malformed_encoding', parameter: undefined });
  });

  test('accepts a query of exactly the maximum length and rejects one character more', () => {
    const atLimit = `a=${'x'.repeat(MAX_QUERY_LENGTH - 2)}`;
    expect(parseQuery(atLimit).get('a')).toHaveLength(MAX_QUERY_LENGTH - 2);
    expect(problemOf(`${atLimit}x`)).toEqual({ problem: 'query_too_long', parameter: undefined });
  });

  test('accepts 32 parameters and rejects 33', () => {
    const names = (count: number): string => Array.from({ length: count }, (_, index) => `p${index}=1`).join('&');
    expect(parseQuery(names(32)).size).toBe(32);
    expect(problemOf(names(33))).toEqual({ problem: 'too_many_parameters', parameter: undefined });
  });
});
