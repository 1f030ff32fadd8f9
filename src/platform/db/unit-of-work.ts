/**
 * The port every service writes through: repositories bound to the database, and a transaction that binds them all
 * to one transaction. `R` is what the caller needs: the composition root's whole set (`DataAccess`), or a narrow
 * slice such as `{ audit: AuditRepository }` for platform code, which must not know the features' repositories.
 */
export interface UnitOfWork<R> {
  repos: R;
  /** All repositories bound to one transaction: what `work` writes commits together or not at all. */
  transaction<T>(work: (tx: R) => Promise<T>): Promise<T>;
}
