package dev.veilraft.state;

import java.io.IOException;

/**
 * Puts a store built from a snapshot's records in place of a node's current store: the receiving
 * end of a snapshot install. Implemented by {@link StateDirectory}.
 */
@FunctionalInterface
public interface StoreReplacement {
  /**
   * Builds a fresh store at {@code appliedIndex} from {@code source}, then closes {@code current}
   * and puts the new store in its place. When it throws, {@code current} is left open and
   * unchanged, and nothing of the new store remains.
   *
   * @return the new store, open
   * @throws IOException from the source (a snapshot that does not authenticate) or the file system
   * @throws StateException when the new store cannot be built or opened
   */
  StateStore replace(StateStore current, long appliedIndex, RecordSource source) throws StateException, IOException;
}
