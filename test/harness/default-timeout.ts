import { jest } from '@jest/globals';

/*
 * Tests against the real clusters name their own timeouts; hooks often do not, and Jest's 5 s default
 * is less than stopping a syncer and deleting namespaces takes on a loaded 2-core CI machine.
 */
jest.setTimeout(60_000);
