package dev.veilraft.state;

import java.io.IOException;

/**
 * Produces records for {@link RocksDbStateStore#importRecords}: a snapshot reader decrypting its
 * file, or another store's export ({@code sink -> other.exportRecords(sink)}).
 */
@FunctionalInterface
public interface RecordSource {
  /**
   * Passes every record to {@code sink}, on the calling thread, and returns when there are no
   * more. May call {@link RecordSink#begin} first; the sink then checks the index it is given.
   * An exception thrown here or by the sink stops the import.
   */
  void forEach(RecordSink sink) throws IOException, StateException;
}
