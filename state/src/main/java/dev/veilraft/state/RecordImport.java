package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a stream of records into a freshly created store (see {@link
 * RocksDbStateStore#importRecords}): an "unfinished" marker first, synced; the records in batches
 * of about {@link RocksDbStateStore#importBatchBytesMax}; then, in one synced batch, the removal of
 * the marker and the state root for the applied index, and a flush to table files. RocksDB
 * recovers a prefix of its writes, so a store that holds any imported record but not the new root
 * still holds the marker. The root's digest is built as the records are written (a repeated
 * record replaces the earlier one in the digest too), so the import needs no second pass.
 * Single use, on the thread that runs the source.
 */
final class RecordImport implements RecordSink {
  private static final Logger log = LoggerFactory.getLogger(RecordImport.class);
  private static final byte[] UNFINISHED = Hashes.utf8("the import into this store did not finish");

  private final SealedRecords records;
  private final StateRoot start;
  private final long appliedIndex;
  private RootedBatch batch;
  private long count;
  private boolean finished;

  RecordImport(SealedRecords records, StateRoot start, long appliedIndex) {
    this.records = records;
    this.start = start;
    this.appliedIndex = appliedIndex;
  }

  /** Runs the import and returns the store's new root. */
  StateRoot run(RecordSource source) throws StateException, IOException {
    StateRoot root;
    try (RootedBatch batch = new RootedBatch(records, start); WriteOptions synced = new WriteOptions().setSync(true)) {
      this.batch = batch;
      batch.put(SealedRecords.META_NAMESPACE, SealedRecords.IMPORT_UNFINISHED_KEY, UNFINISHED);
      batch.writePart(synced);

      source.forEach(this);
      finished = true;

      batch.delete(SealedRecords.META_NAMESPACE, SealedRecords.IMPORT_UNFINISHED_KEY);
      root = batch.seal(appliedIndex);
      batch.write(synced);
      // The caller is about to drop the old store, and the log entries up to appliedIndex may be
      // gone: put everything in synced table files now rather than trusting the WAL alone.
      records.flush();
    } finally {
      finished = true;
      batch = null;
    }
    log.info("imported {} records into state store {} at applied index {}", count, records.directory(), appliedIndex);
    return root;
  }

  @Override
  public void begin(long sourceIndex) {
    Check.argument(sourceIndex == appliedIndex,
        "the import source is at applied index " + sourceIndex + ", but the import was asked for " + appliedIndex);
  }

  @Override
  public void accept(String namespace, byte[] key, byte[] value) throws StateException {
    if (finished) {
      throw new IllegalStateException("import into " + records.directory() + " is over; the source kept its sink");
    }
    count++;
    try {
      RocksDbStateStore.checkNamespace(namespace);
      RocksDbStateStore.checkKey(key);
      RocksDbStateStore.checkValue(value);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("import record " + count + " is refused: " + e.getMessage(), e);
    }
    batch.put(namespace, key, value);
    if (batch.partSizeBytes() >= RocksDbStateStore.importBatchBytesMax) {
      batch.writePart(records.unsyncedWrites());
    }
  }
}
