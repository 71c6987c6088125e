package dev.veilraft.state;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second copy of the store's node-local records (namespaces {@value StateStore#NODE_LOCAL_PREFIX}…,
 * today this node's epoch secrets) in one small sealed file, {@value #FILE_NAME}, inside the store
 * directory but outside RocksDB's files. Its purpose is recovery: when a table file is damaged,
 * the records that no peer can give back (a node's own secrets) are likely still readable here
 * ({@link StoreSalvage}). RocksDB stays the authority: the file is rewritten before every commit
 * that changes a node-local record (so it is never behind a committed change, and an erased record
 * leaves it at the same time), and checked against RocksDB at every open, which rewrites it when
 * it differs (a crash between the two writes, a file the host altered or deleted).
 *
 * <p>File = AES-256-GCM (key derived from the storage secret, {@value
 * RecordCipher#NODE_LOCAL_FILE_KEY_INFO}; associated data {@value #AAD}) of {@code u8 version (1) ||
 * u32 count || (u8 len ns || ns || u32 len key || key || u32 len value || value)*}, records sorted by
 * namespace then unsigned key, so equal contents encode equally. At most {@value #bytesMax} bytes.
 * Not thread-safe: the store calls it under its commit lock.
 */
final class NodeLocalMirror {
  static final String FILE_NAME = "node-local.sealed";
  static final String AAD = "veilraft/state/node-local-file/v1";
  static final int bytesMax = 1 << 20;
  private static final byte VERSION = 1;
  private static final Logger log = LoggerFactory.getLogger(NodeLocalMirror.class);

  /** Node-local records by namespace, keys in scan order. */
  static NavigableMap<String, NavigableMap<byte[], byte[]>> emptyRecords() {
    return new TreeMap<>();
  }

  private final Path file;
  private final AesGcmAead aead;

  NodeLocalMirror(Path storeDir, RecordCipher cipher) {
    this.file = storeDir.resolve(FILE_NAME);
    this.aead = cipher.nodeLocalFile();
  }

  /** The file's records; empty when there is no file, and also when it does not authenticate or parse (logged). */
  Optional<NavigableMap<String, NavigableMap<byte[], byte[]>>> read() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(decode(aead.decrypt(Files.readAllBytes(file), Hashes.utf8(AAD))));
    } catch (IOException | CryptoException | IllegalArgumentException e) {
      log.warn("node-local mirror {} does not read ({}); it is rewritten from the store when the store opens", file,
          e.getMessage());
      return Optional.empty();
    }
  }

  /** Rewrites the file unless it already holds exactly {@code records}. */
  void sync(NavigableMap<String, NavigableMap<byte[], byte[]>> records) throws StateException {
    Optional<NavigableMap<String, NavigableMap<byte[], byte[]>>> stored = read();
    boolean same = stored.isPresent() ? Arrays.equals(encode(stored.get()), encode(records)) : records.isEmpty();
    if (!same) {
      write(records);
      log.info("node-local mirror {} rewritten from the store ({} namespaces)", file, records.size());
    }
  }

  /** Replaces the file with {@code records}, durably (synced file, atomic rename, synced directory). */
  void write(NavigableMap<String, NavigableMap<byte[], byte[]>> records) throws StateException {
    byte[] plaintext = encode(records);
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      byte[] sealed = aead.encrypt(plaintext, Hashes.utf8(AAD));
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        channel.write(ByteBuffer.wrap(sealed));
        channel.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      StateDirectory.syncDirectory(file.getParent());
    } catch (IOException e) {
      throw StateException.diskFailure("cannot write the node-local mirror " + file + ": " + e, e);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  static byte[] encode(NavigableMap<String, NavigableMap<byte[], byte[]>> records) throws StateException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      int count = 0;
      for (NavigableMap<byte[], byte[]> namespace : records.values()) {
        count += namespace.size();
      }
      out.writeByte(VERSION);
      out.writeInt(count);
      for (Map.Entry<String, NavigableMap<byte[], byte[]>> namespace : records.entrySet()) {
        byte[] name = namespace.getKey().getBytes(StandardCharsets.US_ASCII);
        for (Map.Entry<byte[], byte[]> record : namespace.getValue().entrySet()) {
          out.writeByte(name.length);
          out.write(name);
          out.writeInt(record.getKey().length);
          out.write(record.getKey());
          out.writeInt(record.getValue().length);
          out.write(record.getValue());
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    if (bytes.size() > bytesMax) {
      throw new StateException("node-local records take " + bytes.size() + " bytes, over the mirror's bytesMax "
          + bytesMax + ": node-local namespaces are for a node's few own secrets");
    }
    return bytes.toByteArray();
  }

  /** Reads what {@link #encode} wrote; the bytes authenticated, so a bad one is another version's file. */
  static NavigableMap<String, NavigableMap<byte[], byte[]>> decode(byte[] plaintext) {
    NavigableMap<String, NavigableMap<byte[], byte[]>> records = emptyRecords();
    try {
      ByteBuffer in = ByteBuffer.wrap(plaintext);
      byte version = in.get();
      if (version != VERSION) {
        throw new IllegalArgumentException("node-local mirror version " + version + " is not supported");
      }
      int count = in.getInt();
      for (int i = 0; i < count; i++) {
        byte[] name = new byte[in.get() & 0xff];
        in.get(name);
        byte[] key = new byte[in.getInt()];
        in.get(key);
        byte[] value = new byte[in.getInt()];
        in.get(value);
        records.computeIfAbsent(new String(name, StandardCharsets.US_ASCII), n -> new TreeMap<>(ScanRange.KEY_ORDER))
            .put(key, value);
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("node-local mirror has " + in.remaining() + " bytes after its records");
      }
    } catch (BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("node-local mirror is cut short", e);
    }
    return records;
  }

  /** {@code records} with {@code changes} to node-local namespaces applied; the input is not changed. */
  static NavigableMap<String, NavigableMap<byte[], byte[]>> apply(
      NavigableMap<String, NavigableMap<byte[], byte[]>> records, Iterable<RecordChange> changes) {
    NavigableMap<String, NavigableMap<byte[], byte[]>> next = emptyRecords();
    records.forEach((namespace, keys) -> {
      NavigableMap<byte[], byte[]> copy = new TreeMap<>(ScanRange.KEY_ORDER);
      copy.putAll(keys);
      next.put(namespace, copy);
    });
    for (RecordChange change : changes) {
      if (!isNodeLocal(change.namespace())) {
        continue;
      }
      NavigableMap<byte[], byte[]> keys = next.computeIfAbsent(change.namespace(), n -> new TreeMap<>(ScanRange.KEY_ORDER));
      if (change.isDelete()) {
        keys.remove(change.key());
        if (keys.isEmpty()) {
          next.remove(change.namespace());
        }
      } else {
        keys.put(change.key(), change.value());
      }
    }
    return next;
  }

  static boolean isNodeLocal(String namespace) {
    return namespace.startsWith(StateStore.NODE_LOCAL_PREFIX);
  }

  static boolean touchesNodeLocal(Iterable<RecordChange> changes) {
    for (RecordChange change : changes) {
      if (isNodeLocal(change.namespace())) {
        return true;
      }
    }
    return false;
  }
}
