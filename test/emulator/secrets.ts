// Every secret value the emulator hands out, with what it is: the client secret, the certificate's
// private key, the CI request tokens, storage account keys, endpoint keys, and every access token,
// CI assertion and endpoint token it issues. Tests use it to prove that none of them reaches a step's
// log, outputs, summary or files (test/helpers/secret-scan.ts). Each running emulator registers its
// book here, so a test process sees the secrets of every emulator it started.

export class HandedOut {
  private readonly values = new Map<string, string>();

  /** Records a secret value and returns it. */
  add(value: string, what: string): string {
    if (value && !this.values.has(value)) this.values.set(value, what);
    return value;
  }

  entries(): Array<{ value: string; what: string }> {
    return [...this.values].map(([value, what]) => ({ value, what }));
  }
}

const running = new Set<HandedOut>();

export function registerRunning(book: HandedOut): () => void {
  running.add(book);
  return () => running.delete(book);
}

/** The secrets handed out so far by every emulator running in this process. */
export function secretsOfRunningEmulators(): Array<{ value: string; what: string }> {
  return [...running].flatMap((b) => b.entries());
}
