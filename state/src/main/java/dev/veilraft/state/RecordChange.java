package dev.veilraft.state;

/**
 * One pending change of a transaction: a put of {@code value}, or a delete when {@code value} is
 * null. The arrays are the transaction's own copies and are never changed after they are made.
 */
record RecordChange(String namespace, byte[] key, byte[] value) {
  boolean isDelete() {
    return value == null;
  }
}
