package dev.veilraft.state.app;

import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import java.util.List;
import java.util.Optional;

/** Read access to one app's namespace. Keys are the app's own bytes; order is unsigned lexicographic. */
public interface AppReader {
  Optional<byte[]> get(byte[] key) throws StateException;

  /**
   * Records with keys in [{@code fromInclusive}, {@code toExclusive}) in key order, at most
   * {@code limit}; a null bound is open.
   */
  List<StateRecord> scan(byte[] fromInclusive, byte[] toExclusive, int limit) throws StateException;
}
