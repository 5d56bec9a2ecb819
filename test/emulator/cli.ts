// `npm run emulator`: starts the Azure ML emulator, prints `MLOPS_EMULATOR_READY <json>` (and writes the
// same JSON to --ready-file), and stops everything on SIGINT or SIGTERM.
import { writeFile } from 'node:fs/promises';
import { start, type StartOptions } from './index.js';
import { chaosRules, type FaultRule } from './faults.js';

const HELP = `Usage: npm run emulator -- [options]

  --ready-file PATH          also write the READY JSON to PATH
  --port N                   HTTPS port of the emulator (0 = free port, the default)
  --blob-port N              Azurite's port (0 = free)
  --blob-proxy-port N        port of the blob fault proxy clients use (0 = free)
  --token-lifetime SECONDS   lifetime of Entra access tokens (default 3600)
  --assertion-lifetime S     lifetime of GitHub / Azure DevOps OIDC tokens (default 300)
  --lro-retry-after SECONDS  Retry-After on long-running operations (default 1, 0 = none)
  --job-step-delay MS        time a job spends in each intermediate state (default 200)
  --provision-delay MS       extra provisioning time of endpoints and deployments (default 200)
  --sweep-trial-cap N        most trials a sweep runs (default 4)
  --list-page-size N         items per page of every ARM list (default 0: each list's own)
  --fault JSON               a fault rule, e.g. '{"path":"/jobs/","status":429,"count":2}' (repeatable)
  --chaos RATE               disturb RATE (e.g. 0.2) of ARM, data-plane, scoring and blob requests:
                             429s, 503s, dropped connections and 1.5 s delays
  --client-secret SECRET     fixed client secret (default: a new one each start)
  --python PATH              Python for jobs and scoring hosts (default: python3 on PATH)
  --verbose                  diagnostic lines on stderr
`;

function parse(argv: string[]): StartOptions {
  const o: StartOptions = {};
  const faults: FaultRule[] = [];
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        process.exit(0);
        break;
      case '--ready-file': o.readyFile = value(); break;
      case '--port': o.port = num(flag, value()); break;
      case '--blob-port': o.blobPort = num(flag, value()); break;
      case '--blob-proxy-port': o.blobProxyPort = num(flag, value()); break;
      case '--token-lifetime': o.tokenLifetime = num(flag, value()); break;
      case '--assertion-lifetime': o.assertionLifetime = num(flag, value()); break;
      case '--lro-retry-after': o.lroRetryAfter = num(flag, value()); break;
      case '--job-step-delay': o.jobStepDelayMs = num(flag, value()); break;
      case '--provision-delay': o.provisionDelayMs = num(flag, value()); break;
      case '--sweep-trial-cap': o.sweepTrialCap = num(flag, value()); break;
      case '--list-page-size': o.listPageSize = num(flag, value()); break;
      case '--fault': faults.push(JSON.parse(value() ?? '') as FaultRule); break;
      case '--chaos': faults.push(...chaosRules(num(flag, value()))); break;
      case '--client-secret': o.clientSecret = value(); break;
      case '--python': o.python = value(); break;
      case '--verbose': o.log = (line) => process.stderr.write(`[emulator] ${line}\n`); break;
      default:
        throw new Error(`Unknown option '${argv[i]}'.\n\n${HELP}`);
    }
  }
  if (faults.length) o.faults = faults;
  return o;
}

async function main(): Promise<void> {
  let options: StartOptions;
  try {
    options = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const emulator = await start(options);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Azure ML emulator: ${signal}, stopping…\n`);
    await emulator.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (options.readyFile) await writeFile(options.readyFile, `${JSON.stringify(emulator.config, null, 2)}\n`);
  process.stdout.write(`MLOPS_EMULATOR_READY ${JSON.stringify(emulator.config)}\n`);
}

main().catch((e) => {
  process.stderr.write(`Azure ML emulator failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
