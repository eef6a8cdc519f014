import { CliIO, EXIT, err } from './io';

export const help = 'token-relay login: not implemented yet\n';

export async function run(_argv: string[], io: CliIO): Promise<number> {
  err(io, 'token-relay login: not implemented yet');
  return EXIT.usage;
}
