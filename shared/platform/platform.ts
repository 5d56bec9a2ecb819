// The one interface between a step's logic and the CI system running it.
// The core (everything in shared/ outside the adapters) talks only to this; github.ts and
// azure-devops.ts implement it: the runner protocol directly, and azure-pipelines-task-lib.

export type PlatformKind = 'github' | 'azure-devops';

export type Severity = 'error' | 'warning' | 'notice';

/** A message tied, where known, to a place in the repository. */
export interface Annotation {
  severity: Severity;
  message: string;
  /** Path relative to the workspace root, with forward slashes, so it lands on the pull request diff. */
  file?: string;
  line?: number;
  column?: number;
  title?: string;
  /** Tool rule or error code (flake8 E501, bandit B602…). */
  code?: string;
}

export interface TestResultsReport {
  format: 'JUnit';
  files: string[];
  title: string;
}

/** An Azure DevOps service connection as the agent hands it to a task (ENDPOINT_* variables). */
export interface ServiceConnection {
  id: string;
  /** ServicePrincipal, WorkloadIdentityFederation, ManagedServiceIdentity… */
  scheme: string;
  /** serviceprincipalid, tenantid, serviceprincipalkey, servicePrincipalCertificate, authenticationType, idToken… */
  parameters: Record<string, string>;
  /** ENDPOINT_URL_<id>: the ARM endpoint of the connection's cloud. */
  url?: string;
  /** SubscriptionID, environment, activeDirectoryAuthority… */
  data: Record<string, string>;
  /**
   * Azure DevOps workload identity federation: what an OIDC token is requested with — the job's access
   * token (System.AccessToken, masked) and the oidctoken endpoint (System.OidcRequestUri) — when the
   * agent hands them to the task.
   */
  federation?: { accessToken: string; oidcRequestUri: string };
}

/** Where this run comes from, for lineage on what a step registers: commit, repository, run link. */
export interface Provenance {
  commit?: string;
  repository?: string;
  runUrl?: string;
}

export interface Platform {
  readonly kind: PlatformKind;
  /** Root of the checked-out repository (GITHUB_WORKSPACE / Build.SourcesDirectory). */
  readonly workspace: string;
  /** A per-job scratch directory (RUNNER_TEMP / Agent.TempDirectory). */
  readonly tempDir: string;

  /** How this platform spells an input or output declared as `word` (kebab-case). */
  nameOf(word: string): string;
  /** The raw value of a declared input, trimmed; '' when not set. */
  getInput(word: string): string;
  setOutput(word: string, value: string): void;
  /** Registers a value that the platform must mask in every later log line. */
  setSecret(value: string): void;

  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  startGroup(title: string): void;
  endGroup(): void;
  annotate(annotation: Annotation): void;
  /**
   * Writes one line of a child tool's output. Tools print whatever they like, so the adapter
   * keeps the output from being read as workflow / logging commands.
   */
  writeToolOutput(line: string, stream: 'stdout' | 'stderr'): void;
  beginToolOutput(): void;
  endToolOutput(): void;

  /** Adds Markdown to the job summary; returns where it went (for the log), if anywhere. */
  appendSummary(markdown: string): Promise<string | undefined>;
  publishTestResults(report: TestResultsReport): void;

  /**
   * A fresh OIDC token from the CI system for workload identity federation: GitHub's ID token for the
   * audience, or Azure DevOps' token for the service connection. Asked for anew every time, never cached,
   * so long waits never present an expired assertion.
   */
  federatedToken(audience: string, serviceConnection?: ServiceConnection): Promise<string>;
  /** The service connection an input names (Azure DevOps); undefined where the platform has none. */
  serviceConnection(word: string): ServiceConnection | undefined;
  /** The commit, repository and run link of this run, from the runner's or agent's variables. */
  provenance(): Provenance;

  /**
   * Resolves once the platform's own library has loaded (Azure DevOps: azure-pipelines-task-lib, which
   * on load moves inputs, endpoint credentials and secret variables out of the environment; GitHub:
   * nothing). Idempotent. Before it only the *early members* may be used — kind,
   * workspace, tempDir, nameOf, getInput, info and toolEnvironment —, so that a step that starts early
   * (Step.startsEarly) can start its tool while the library loads. runStep awaits it before any other
   * step runs and before every step ends.
   */
  ready(): Promise<void>;
  /**
   * The environment for a tool the step runs: the process's own, without what the CI system hands to
   * the step alone (Azure DevOps: inputs, endpoint credentials, secret variables), also before ready().
   */
  toolEnvironment(): NodeJS.ProcessEnv;

  /** Ends the step. Called exactly once, by the runner. */
  complete(result: 'succeeded' | 'failed', message: string): void;
}
