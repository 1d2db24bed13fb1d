/**
 * Runs before every test file (setupFiles in jest.preset.ts). The services and helpers a test starts in
 * process log at LOG_LEVEL; unless the person running the tests asks for a level
 * (`LOG_LEVEL=debug npm test`), they log nothing, so that Jest's output is the tests' results. A failing
 * assertion carries its own message; a failure that needs the services' story is re-run with a level.
 */
process.env['LOG_LEVEL'] ??= 'silent';
