import { readFileSync } from 'node:fs';
import semver from 'semver';

/**
 * The Node versions the project states are the truth about its dependencies: every installed
 * package that declares `engines.node` accepts every version the project's own range allows, and
 * the Node running this suite is one of them.
 */
const ROOT = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const stated = manifest.engines.node;

test('the stated range is a real range and includes the Node running this suite', () => {
  expect(semver.validRange(stated)).not.toBeNull();
  expect(semver.satisfies(process.version, stated)).toBe(true);
});

test('every dependency that declares a Node range accepts all of the stated range', () => {
  const narrower = Object.entries(lock.packages).flatMap(([path, entry]) => {
    const declared = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (path === '' || declared === undefined) return [];
    return semver.subset(stated, declared) ? [] : [`${path.replace(/^node_modules\//, '')}@${entry.version ?? '?'} declares node ${declared}`];
  });
  expect(narrower).toEqual([]);
});
