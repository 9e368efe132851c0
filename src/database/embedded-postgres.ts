import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback port so
 * that the app reaches it through the ordinary `pg` driver and TypeORM: the
 * same code path as a real server, with nothing to install.
 */
export class EmbeddedPostgres {
  /**
   * PGlite is one backend session: every socket connection shares it. With
   * more than one, pglite-socket interleaves the extended-protocol messages
   * (Parse/Bind/Execute/Sync) of concurrent queries, which clobbers the unnamed
   * statement ("unnamed prepared statement does not exist", wrong rows) and
   * can stall its queue (electric-sql/pglite#1046). One connection serialises
   * queries, which PGlite does anyway.
   */
  static readonly maxConnections = 1;

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const dir = path.resolve(dataDir, 'pgdata');
    // PGlite does not create parent folders itself.
    await mkdir(path.dirname(dir), { recursive: true });
    const db = await PGlite.create(dir);
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: EmbeddedPostgres.maxConnections,
    });
    await server.start();
    return new EmbeddedPostgres(db, server);
  }

  get url(): string {
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
