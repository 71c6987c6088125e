package dev.veilraft.state;

import dev.veilraft.crypto.CryptoException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Reads chosen records out of a store that {@link RocksDbStateStore#open} refuses (damaged table
 * files, a state digest mismatch), for a node that rebuilds its state from the cluster but must
 * keep a few records of its own first (its epoch secrets). Node-local records ({@value
 * StateStore#NODE_LOCAL_PREFIX}…) come from the store's {@link NodeLocalMirror} file when it reads;
 * every other record, and any the mirror lacks, from RocksDB opened read-only, by a point lookup
 * each, so a damaged block costs only the records in it. Never writes.
 *
 * <p>Each record returned authenticated under the storage secret and lies at the location its
 * namespace and key name, so it is a record this node wrote; but the store is not verified as a
 * whole, so it may be an older version of the record than the last one committed. Use it only
 * for records written once and never changed (an epoch's secret), or check what is returned
 * against replicated state.
 */
public final class StoreSalvage {
  /** What was read: the records found, and why each one that was not could not be read. */
  public record Result(List<StateRecord> found, List<String> problems) {
    public Result {
      found = List.copyOf(found);
      problems = List.copyOf(problems);
    }
  }

  static {
    RocksDB.loadLibrary();
  }

  private StoreSalvage() {}

  /**
   * Reads {@code keys} of {@code namespace} from the store in {@code dir}. A key that is simply
   * absent is neither found nor a problem.
   */
  public static Result read(Path dir, byte[] storageSecret, String namespace, List<byte[]> keys) {
    Objects.requireNonNull(dir, "dir");
    RocksDbStateStore.checkNamespace(namespace);
    RecordCipher cipher = RecordCipher.fromStorageSecret(storageSecret);
    List<StateRecord> found = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Path absolute = dir.toAbsolutePath();
    if (!Files.isDirectory(absolute)) {
      problems.add("state store " + absolute + " does not exist");
      return new Result(found, problems);
    }
    List<Integer> wanted = new ArrayList<>();
    NavigableMap<byte[], byte[]> mirrored = NodeLocalMirror.isNodeLocal(namespace)
        ? new NodeLocalMirror(absolute, cipher).read().map(m -> m.get(namespace)).orElse(null) : null;
    for (int i = 0; i < keys.size(); i++) {
      byte[] value = mirrored == null ? null : mirrored.get(keys.get(i));
      if (value != null) {
        found.add(new StateRecord(keys.get(i).clone(), value));
      } else {
        wanted.add(i);
      }
    }
    if (wanted.isEmpty()) {
      return new Result(found, problems);
    }
    try (Options options = new Options().setCreateIfMissing(false);
        RocksDB db = RocksDB.openReadOnly(options, absolute.toString())) {
      for (int i : wanted) {
        byte[] key = keys.get(i);
        byte[] location = cipher.locate(namespace, key);
        byte[] sealed;
        try {
          sealed = db.get(location);
        } catch (RocksDBException e) {
          problems.add("record " + i + " of namespace '" + namespace + "' cannot be read: " + e.getMessage());
          continue;
        }
        if (sealed == null) {
          continue;
        }
        try {
          RecordCipher.Opened record = cipher.open(location, sealed);
          if (record.is(namespace, key)) {
            found.add(new StateRecord(key.clone(), record.value()));
          } else {
            problems.add("record " + i + " of namespace '" + namespace + "' holds another record than its location names");
          }
        } catch (CryptoException e) {
          problems.add("record " + i + " of namespace '" + namespace + "' does not authenticate");
        }
      }
    } catch (RocksDBException e) {
      problems.add("RocksDB cannot open " + absolute + " read-only: " + e.getMessage());
    }
    return new Result(found, problems);
  }
}
