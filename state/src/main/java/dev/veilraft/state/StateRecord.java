package dev.veilraft.state;

import java.util.Arrays;

/** One record of a namespace, as an ordered scan returns it. The arrays are the caller's copies. */
public record StateRecord(byte[] key, byte[] value) {
  @Override
  public boolean equals(Object other) {
    return other instanceof StateRecord r && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "StateRecord{key=" + key.length + " bytes, value=" + value.length + " bytes}";
  }
}
