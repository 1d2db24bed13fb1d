import { nextLink } from '../src/registry/registry-pages';

// fetchAllPages and fetchComponentSigningKeys run against the real registry in the registry's own
// suite (apps/registry/test/fleet-paging.e2e.spec.ts): a lib's tests never start an app.

describe('nextLink', () => {
  it.each([
    ['</api/v1/registry/components?offset=50>; rel="next"', '/api/v1/registry/components?offset=50'],
    ['<https://r.example/x?offset=2>;rel=next', 'https://r.example/x?offset=2'],
    ['<a?offset=0>; rel="prev", <a?offset=100>; rel="next"', 'a?offset=100'],
    ['<a?x=1,2>; rel="first last", <b>; rel="prefetch next"', 'b'],
    ['<a>; rel="prev"', null],
    ['<a>; rel="nextpage"', null],
  ])('%s → %s', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });

  it('is null without a header', () => {
    expect(nextLink(null)).toBeNull();
  });
});
