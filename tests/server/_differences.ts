// pgserverconfig's deliberate differences from pgmonkey (Python)'s captured
// output, applied to the verbatim Python goldens by the tests that compare.

/**
 * Python's output with our one deliberate difference: a config without a
 * client certificate (goldens c02, c03) gets no `clientcert=` option, which
 * would lock that client out (README, "Differences from pgmonkey (Python)").
 */
export function withoutClientCert(pythonStdout: string): string {
  return pythonStdout.replace(
    /^(\s*hostssl .*scram-sha-256) {5}clientcert=verify-(ca|full)$/m,
    "$1",
  );
}
