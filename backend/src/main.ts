/**
 * Process entry: load config (a bad value stops here, naming the variable),
 * start the app, print where to look, and shut down cleanly on a signal.
 */
import { startApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { UnreachableError } from './startup';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`panecast: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config);
  } catch (error) {
    // Settings parsed while composing (keys, secrets, origins) stop start-up the same way.
    if (error instanceof ConfigError) {
      console.error(`panecast: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    // Kafka or Redis not answering at start: one line naming the setting; the supervisor restarts the process.
    if (error instanceof UnreachableError) {
      console.error(`panecast: cannot start: ${error.message}`);
      process.exit(1);
    }
    // The likeliest first-run failure (an earlier `npm start` or the compose demo holds 8080):
    // name the setting that fixes it rather than print a stack trace.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const reason = code === 'EADDRINUSE' ? 'is in use by another process' : 'may not be opened by this user';
      console.error(`panecast: cannot listen: ${config.host}:${config.port} ${reason}; set PANECAST_PORT to another port (0 picks a free one)`);
      process.exit(2);
    }
    throw error;
  }
  console.log(`panecast: ${config.mode} mode, live page at ${app.url}/`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`panecast: ${signal} received, stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('panecast: error while stopping', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('panecast: failed to start', error);
  process.exit(1);
});
