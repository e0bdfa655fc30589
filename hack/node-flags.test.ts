import { describe, expect, test } from '@jest/globals';
import {
  dockerfileEnvironment,
  entrypointNodeFlags,
  syncerEnvironment,
  syncerNodeFlags,
} from './node-flags.ts';

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

  test('the environment is what the ENV instructions set, quoted values and continued lines included', () => {
    expect(
      dockerfileEnvironment(
        'FROM x\nENV A=1 \\\n    B="" \\\n    C="two words"\nRUN true\nENV D=4\nENVIRONMENT=x\n',
      ),
    ).toEqual({ A: '1', B: '', C: 'two words', D: '4' });
    expect(dockerfileEnvironment('FROM x')).toEqual({});
    expect(() => dockerfileEnvironment('ENV A 1')).toThrow('not in NAME=value form');
    expect(() => dockerfileEnvironment('ENV A=1 B')).toThrow('not in NAME=value form');
  });

  test("the project's Dockerfile keeps glibc to two malloc arenas", () => {
    expect(syncerEnvironment()).toMatchObject({ MALLOC_ARENA_MAX: '2' });
  });
});
