/** Runs once before the suite: says which database the run uses, so a log shows it. */
export default function setup(): void {
  const db = process.env.DATABASE_URL ? `PostgreSQL (${process.env.DATABASE_URL.replace(/\/\/[^@]*@/, '//')})` : 'SQLite (temp files)';
  process.stdout.write(`qoima tests on ${db}\n`);
}
