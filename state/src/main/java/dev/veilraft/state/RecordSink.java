package dev.veilraft.state;

import java.io.IOException;

/**
 * Receives the application records of a store, one at a time: what {@link
 * RocksDbStateStore#exportRecords} produces and {@link RocksDbStateStore#importRecords} consumes.
 * The arrays passed in are the sink's to keep. Records arrive in no order a caller may rely on.
 */
@FunctionalInterface
public interface RecordSink {
  /**
   * Called once, before any record, with the applied index of the records that follow, so a
   * writer can put it in a header. Does nothing unless overridden.
   */
  default void begin(long appliedIndex) throws IOException, StateException {}

  /** One record: a namespace of {@code [a-z0-9/_-]{1,64}}, its key and its value. */
  void accept(String namespace, byte[] key, byte[] value) throws IOException, StateException;
}
