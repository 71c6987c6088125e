package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} in a local RocksDB whose files hold nothing readable: each record is
 * stored at a keyed hash of (namespace, key) and its value is AEAD ciphertext bound to that
 * location (see {@link RecordCipher}). The applied index is a record of the reserved namespace
 * {@value #META_NAMESPACE}, written in the same batch as the entry's changes.
 *
 * <p>What the host can still see: how many records there are, the length of each value, and
 * which records change together. What it can still do undetected: delete a record, or put back
 * an older value of the same record (a per-record rollback).
 *
 * <p>Thread-safety: {@link #get} and {@link #appliedIndex} from any thread; {@link #begin} and
 * commit from the single apply thread.
 */
public final class RocksDbStateStore implements StateStore {
  public static final int keySizeBytesMax = 4096;
  public static final int valueSizeBytesMax = 4 * 1024 * 1024;
  public static final int namespaceLengthMax = 64;
  /** Bounds the memory of one entry's changes (locations plus values). */
  public static final long transactionSizeBytesMax = 64L * 1024 * 1024;
  /** Holds the canary and the applied index; applications may not use it. */
  public static final String META_NAMESPACE = "_meta";

  private static final Logger log = LoggerFactory.getLogger(RocksDbStateStore.class);
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9/_-]{1," + namespaceLengthMax + "}");
  private static final byte[] CANARY_KEY = Hashes.utf8("canary");
  private static final byte[] CANARY_PLAINTEXT = Hashes.utf8("veilraft/state/canary/v1");
  private static final byte[] APPLIED_INDEX_KEY = Hashes.utf8("applied-index");

  static {
    // Loads the native library once per class loader, before any RocksDB object is built.
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksDB db;
  private final SmallNodeRocksOptions rocksOptions;
  private final RecordCipher cipher;
  private final byte[] appliedIndexLocation;
  /** Readers hold it shared; close holds it exclusively, so no read touches a freed handle. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Object commitOrder = new Object();
  private volatile long appliedIndex;
  private boolean closed;

  private RocksDbStateStore(Path dir, RocksDB db, SmallNodeRocksOptions rocksOptions, RecordCipher cipher) {
    this.dir = dir;
    this.db = db;
    this.rocksOptions = rocksOptions;
    this.cipher = cipher;
    this.appliedIndexLocation = cipher.locate(META_NAMESPACE, APPLIED_INDEX_KEY);
  }

  /**
   * Opens or creates the store in {@code dir} under the node's 32-byte storage secret (which the
   * caller unsealed; this class keeps only keys derived from it).
   *
   * @throws StateException when RocksDB cannot open the directory (damaged files, a lock held by
   *     another process), or when the secret does not open this store
   */
  public static RocksDbStateStore open(Path dir, byte[] storageSecret) throws StateException {
    Objects.requireNonNull(dir, "dir");
    RecordCipher cipher = RecordCipher.fromStorageSecret(storageSecret);
    Path absolute = dir.toAbsolutePath();
    try {
      Files.createDirectories(absolute);
    } catch (IOException e) {
      throw new StateException("cannot create state directory " + absolute + ": " + e, e);
    }
    SmallNodeRocksOptions rocksOptions = SmallNodeRocksOptions.create();
    RocksDB db;
    try {
      db = RocksDB.open(rocksOptions.options(), absolute.toString());
    } catch (RocksDBException e) {
      rocksOptions.close();
      throw rocksFailure("open", absolute, e);
    }
    RocksDbStateStore store = new RocksDbStateStore(absolute, db, rocksOptions, cipher);
    try {
      store.checkCanary();
      store.appliedIndex = store.readAppliedIndex();
    } catch (StateException | RuntimeException e) {
      store.close();
      throw e;
    }
    log.info("opened state store at {} with applied index {}", absolute, store.appliedIndex);
    return store;
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public Optional<byte[]> get(String namespace, byte[] key) throws StateException {
    checkNamespace(namespace);
    checkKey(key);
    return read(namespace, cipher.locate(namespace, key));
  }

  @Override
  public StateTransaction begin() {
    return new RocksDbStateTransaction(this);
  }

  /** Closes the database and frees its native objects. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      db.close();
      rocksOptions.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** The directory of the store, for messages. */
  public Path directory() {
    return dir;
  }

  byte[] locate(String namespace, byte[] key) {
    return cipher.locate(namespace, key);
  }

  /** Reads the committed value at {@code location}; {@code namespace} only names it in errors. */
  Optional<byte[]> read(String namespace, byte[] location) throws StateException {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      byte[] sealed = db.get(location);
      if (sealed == null) {
        return Optional.empty();
      }
      return Optional.of(cipher.open(location, sealed));
    } catch (RocksDBException e) {
      throw rocksFailure("read", dir, e);
    } catch (CryptoException e) {
      throw notAuthentic(namespace, e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Writes one entry's changes and its index in one atomic batch. */
  void commit(Collection<RocksDbStateTransaction.Change> changes, long index) throws StateException {
    synchronized (commitOrder) {
      if (index <= appliedIndex) {
        throw new IllegalStateException(
            "applied index must increase: commit of entry " + index + " after entry " + appliedIndex + " in " + dir);
      }
      lifecycle.readLock().lock();
      try (WriteBatch batch = new WriteBatch()) {
        checkOpen();
        for (RocksDbStateTransaction.Change change : changes) {
          if (change.value() == null) {
            batch.delete(change.location());
          } else {
            batch.put(change.location(), cipher.seal(change.location(), change.value()));
          }
        }
        batch.put(appliedIndexLocation, cipher.seal(appliedIndexLocation, Hashes.u64(index)));
        db.write(rocksOptions.writes(), batch);
        appliedIndex = index;
      } catch (RocksDBException e) {
        throw rocksFailure("write", dir, e);
      } finally {
        lifecycle.readLock().unlock();
      }
    }
  }

  /**
   * Proves the storage secret opens this store before anything is served from it. A wrong secret
   * derives another lookup key, so the canary is then simply not found: an absent canary in a
   * store that holds records is treated exactly like one that does not authenticate.
   */
  private void checkCanary() throws StateException {
    byte[] location = cipher.locate(META_NAMESPACE, CANARY_KEY);
    try {
      byte[] sealed = db.get(location);
      if (sealed == null) {
        if (!isEmpty()) {
          throw wrongKey(null);
        }
        db.put(rocksOptions.writes(), location, cipher.seal(location, CANARY_PLAINTEXT));
        log.info("created state store at {}", dir);
        return;
      }
      if (!Arrays.equals(cipher.open(location, sealed), CANARY_PLAINTEXT)) {
        throw wrongKey(null);
      }
    } catch (CryptoException e) {
      throw wrongKey(e);
    } catch (RocksDBException e) {
      throw rocksFailure("read the canary of", dir, e);
    }
  }

  private boolean isEmpty() {
    try (RocksIterator records = db.newIterator()) {
      records.seekToFirst();
      return !records.isValid();
    }
  }

  private long readAppliedIndex() throws StateException {
    Optional<byte[]> stored = read(META_NAMESPACE, appliedIndexLocation);
    if (stored.isEmpty()) {
      return 0;
    }
    byte[] bytes = stored.get();
    long index = bytes.length == Long.BYTES ? ByteBuffer.wrap(bytes).getLong() : -1;
    if (index <= 0) {
      throw new StateException("applied index record of " + dir + " is malformed (altered on disk?)");
    }
    return index;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("state store at " + dir + " is closed");
    }
  }

  private StateException wrongKey(CryptoException cause) {
    return new StateException("storage key does not open " + dir + ": wrong key or files altered", cause);
  }

  private StateException notAuthentic(String namespace, CryptoException cause) {
    return new StateException(
        "state record in namespace '" + namespace + "' of " + dir + " does not authenticate (altered on disk?)", cause);
  }

  private static StateException rocksFailure(String operation, Path dir, RocksDBException e) {
    return new StateException("RocksDB could not " + operation + " state store " + dir + ": " + e.getMessage(), e);
  }

  /** Refuses namespaces outside [a-z0-9/_-]{1,64} and the reserved {@value #META_NAMESPACE}. */
  static void checkNamespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    Check.argument(NAMESPACE.matcher(namespace).matches(),
        "namespace must be 1.." + namespaceLengthMax + " characters of [a-z0-9/_-] (namespaceLengthMax "
            + namespaceLengthMax + "), got " + namespace.length() + " characters");
    Check.argument(!namespace.equals(META_NAMESPACE), "namespace " + META_NAMESPACE + " is reserved for the store");
  }

  static void checkKey(byte[] key) {
    Objects.requireNonNull(key, "key");
    Check.argument(key.length <= keySizeBytesMax,
        "key is " + key.length + " bytes, over keySizeBytesMax " + keySizeBytesMax);
  }

  static void checkValue(byte[] value) {
    Objects.requireNonNull(value, "value");
    Check.argument(value.length <= valueSizeBytesMax,
        "value is " + value.length + " bytes, over valueSizeBytesMax " + valueSizeBytesMax);
  }
}
