import { describe, expect, test } from '@jest/globals';
import { entrypointNodeFlags, syncerNodeFlags } from './node-flags.ts';

describe('node flags from the Dockerfile', () => {
  test("are the ENTRYPOINT's arguments between node and the script", () => {
    expect(
      entrypointNodeFlags(
        'FROM x\nENTRYPOINT ["node", "--a=1", "--b", "/app/dist/cmd/vsyncer.js"]\nCMD ["start"]',
      ),
    ).toEqual(['--a=1', '--b']);
    expect(entrypointNodeFlags('ENTRYPOINT ["node", "/app/x.js"]')).toEqual([]);
  });

  test('a Dockerfile they cannot be read from is an error that says why', () => {
    expect(() => entrypointNodeFlags('FROM x')).toThrow('no ENTRYPOINT');
    expect(() => entrypointNodeFlags('ENTRYPOINT node /app/x.js')).toThrow('not in exec form');
    expect(() => entrypointNodeFlags('ENTRYPOINT ["/bin/sh", "x.js"]')).toThrow('does not start node');
    expect(() => entrypointNodeFlags('ENTRYPOINT ["node", "--a"]')).toThrow('names no script');
  });

  test("the project's Dockerfile gives the young-generation and heap-growth limits", () => {
    expect(syncerNodeFlags()).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=20']);
  });
});
