import { parseCliArguments } from './cli-arguments';

describe('parseCliArguments', () => {
  it('defaults to 127.0.0.1:8085 like the SDK emulator', () => {
    expect(parseCliArguments([])).toEqual({ kind: 'run', args: { host: '127.0.0.1', port: 8085 } });
  });

  it('reads both flag forms', () => {
    expect(parseCliArguments(['--port', '0', '--host=0.0.0.0'])).toEqual({ kind: 'run', args: { host: '0.0.0.0', port: 0 } });
    expect(parseCliArguments(['--port=9000'])).toEqual({ kind: 'run', args: { host: '127.0.0.1', port: 9000 } });
  });

  it('asks for help', () => {
    expect(parseCliArguments(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got abc'],
    [['--port', '70000'], '--port must be an integer from 0 to 65535, got 70000'],
    [['--port'], '--port needs a value'],
    [['--host='], '--host needs a value'],
    [['--verbose'], 'Unknown argument: --verbose'],
  ])('reports %j as a usage error', (argv, message) => {
    expect(parseCliArguments(argv)).toEqual({ kind: 'error', message });
  });
});
