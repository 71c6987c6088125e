package dev.veilraft.state;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hkdf;
import dev.veilraft.crypto.KeyedHash;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a (namespace, key, value) record into the bytes RocksDB stores (record format v2), so the
 * host sees only keyed hashes and ciphertext.
 *
 * <p>Location (the RocksDB key, {@value #LOCATION_BYTES} bytes) = {@code tag(namespace) ||
 * HMAC-SHA256(lookup key, u32(namespace length) || namespace || key)}. The tag is the first
 * {@value #TAG_BYTES} bytes of HMAC-SHA256 under a separate namespace-tag key of {@code
 * u32(namespace length) || namespace}: every record of a namespace shares it, so a namespace is a
 * contiguous run of RocksDB keys that can be iterated without touching other namespaces. The
 * length prefix keeps ("a", "bc") and ("ab", "c") apart.
 *
 * <p>Sealed value = AES-256-GCM under the value key, associated data = the location, plaintext =
 * {@code u8(2) || u8(namespace length) || namespace || u32(key length) || key || value}. The
 * namespace and key travel inside the ciphertext so ordered indexes can be rebuilt from disk and
 * a snapshot can export plaintext records; the associated data makes a value the host copies or
 * moves to another location fail to authenticate. Thread-safe: both primitives are.
 *
 * <p>A fourth key, also derived from the storage secret, keys the record hashes of the
 * store-wide digest ({@link #hasher}); a fifth seals the file that mirrors the node-local
 * records ({@link #nodeLocalFile}). All node-local namespaces share one tag ({@link #tag}).
 */
final class RecordCipher {
  static final int STORAGE_SECRET_BYTES = 32;
  /** Unchanged from format v1, whose location was exactly the record hash: so a v1 store can be recognised. */
  static final String LOOKUP_KEY_INFO = "veilraft/state/lookup/v1";
  static final String NAMESPACE_TAG_KEY_INFO = "veilraft/state/namespace-tag/v1";
  static final String VALUE_KEY_INFO = "veilraft/state/value/v1";
  /** Keys the record hashes of the store-wide digest ({@link RecordHasher}, {@link StateDigest}). */
  static final String DIGEST_KEY_INFO = "veilraft/state/digest/v1";
  /** Seals the file that mirrors the node-local records ({@link NodeLocalMirror}). */
  static final String NODE_LOCAL_FILE_KEY_INFO = "veilraft/state/node-local-file/v1";
  static final int TAG_BYTES = 8;
  static final int LOCATION_BYTES = TAG_BYTES + KeyedHash.OUTPUT_BYTES;
  /** The first plaintext byte of every sealed record. */
  static final byte RECORD_FORMAT = 2;
  private static final int DERIVED_KEY_BYTES = 32;
  /** Format byte, namespace length byte, key length. */
  private static final int PLAINTEXT_HEADER_BYTES = 1 + 1 + 4;

  /** An opened record: what {@link #seal} was given. */
  record Opened(String namespace, byte[] key, byte[] value) {
    boolean is(String expectedNamespace, byte[] expectedKey) {
      return namespace.equals(expectedNamespace) && Arrays.equals(key, expectedKey);
    }
  }

  /** Namespaces whose tag is kept in memory; an app with more namespaces pays one HMAC per record for the rest. */
  static final int TAGS_CACHED_MAX = 1024;

  /** Tags by namespace, at most {@link #TAGS_CACHED_MAX}; the arrays are never changed or handed out. */
  private final Map<String, byte[]> tags = new ConcurrentHashMap<>();
  private final KeyedHash lookup;
  private final KeyedHash namespaceTags;
  private final AesGcmAead values;
  /** The one hasher of this store's records (thread-safe: no Mac built per scan or commit). */
  private final RecordHasher hasher;
  private final AesGcmAead nodeLocalFile;

  private RecordCipher(KeyedHash lookup, KeyedHash namespaceTags, AesGcmAead values, KeyedHash digest,
      AesGcmAead nodeLocalFile) {
    this.lookup = lookup;
    this.namespaceTags = namespaceTags;
    this.values = values;
    this.hasher = new RecordHasher(digest);
    this.nodeLocalFile = nodeLocalFile;
  }

  /**
   * Derives the lookup, namespace-tag and value keys from the node's storage secret. HKDF runs
   * without a salt because the secret is already uniformly random; the info strings separate the
   * keys, so tags and record hashes never share a key and need no argument about their encodings.
   */
  static RecordCipher fromStorageSecret(byte[] storageSecret) {
    Check.length(storageSecret, STORAGE_SECRET_BYTES, "storage secret");
    byte[] lookupKey = derive(storageSecret, LOOKUP_KEY_INFO);
    byte[] tagKey = derive(storageSecret, NAMESPACE_TAG_KEY_INFO);
    byte[] valueKey = derive(storageSecret, VALUE_KEY_INFO);
    byte[] digestKey = derive(storageSecret, DIGEST_KEY_INFO);
    byte[] fileKey = derive(storageSecret, NODE_LOCAL_FILE_KEY_INFO);
    try {
      return new RecordCipher(KeyedHash.fromKey(lookupKey), KeyedHash.fromKey(tagKey), AesGcmAead.fromKey(valueKey),
          KeyedHash.fromKey(digestKey), AesGcmAead.fromKey(fileKey));
    } finally {
      // The primitives copied the keys; wiping ours keeps fewer copies in the heap.
      Arrays.fill(lookupKey, (byte) 0);
      Arrays.fill(tagKey, (byte) 0);
      Arrays.fill(valueKey, (byte) 0);
      Arrays.fill(digestKey, (byte) 0);
      Arrays.fill(fileKey, (byte) 0);
    }
  }

  /** The AEAD of the node-local mirror file. */
  AesGcmAead nodeLocalFile() {
    return nodeLocalFile;
  }

  /** The hasher of the records of the store-wide digest; thread-safe. */
  RecordHasher hasher() {
    return hasher;
  }

  private static byte[] derive(byte[] storageSecret, String info) {
    return Hkdf.sha256(storageSecret, new byte[0], Hashes.utf8(info), DERIVED_KEY_BYTES);
  }

  /** The first {@value #TAG_BYTES} bytes of every location in {@code namespace}. */
  byte[] tag(String namespace) {
    return cachedTag(namespace).clone();
  }

  /**
   * The tag of {@code namespace}, shared: callers only read it. Tags are a pure function of the
   * namespace under a fixed key, and every record a transaction touches needs one, so they are
   * kept for up to {@link #TAGS_CACHED_MAX} namespaces (more are computed on every call).
   */
  private byte[] cachedTag(String namespace) {
    byte[] cached = tags.get(namespace);
    if (cached != null) {
      return cached;
    }
    // Every node-local namespace shares the tag of the prefix, so that this node's own records
    // (its epoch secrets) are one small contiguous run that open can read whole (NodeLocalMirror).
    byte[] name = ascii(namespace.startsWith(StateStore.NODE_LOCAL_PREFIX) ? StateStore.NODE_LOCAL_PREFIX : namespace);
    byte[] tag = Arrays.copyOf(namespaceTags.hash(u32(name.length), name), TAG_BYTES);
    if (tags.size() < TAGS_CACHED_MAX) {
      tags.putIfAbsent(namespace, tag);
    }
    return tag;
  }

  /** The tag shared by every node-local namespace ({@value StateStore#NODE_LOCAL_PREFIX}…). */
  byte[] nodeLocalTag() {
    return tag(StateStore.NODE_LOCAL_PREFIX);
  }

  /** The RocksDB key of a record. The namespace is ASCII (checked by the caller). */
  byte[] locate(String namespace, byte[] key) {
    return Hashes.concat(cachedTag(namespace), recordHash(namespace, key));
  }

  /** Where format v1 kept a record; used only to recognise a v1 store and refuse it. */
  byte[] v1Location(String namespace, byte[] key) {
    return recordHash(namespace, key);
  }

  private byte[] recordHash(String namespace, byte[] key) {
    byte[] name = ascii(namespace);
    return lookup.hash(u32(name.length), name, key);
  }

  byte[] seal(byte[] location, String namespace, byte[] key, byte[] value) {
    Check.invariant(location.length == LOCATION_BYTES, "a location is " + LOCATION_BYTES + " bytes");
    byte[] name = ascii(namespace);
    Check.invariant(name.length >= 1 && name.length <= 255, "namespace length fits one byte");
    byte[] plaintext = new byte[PLAINTEXT_HEADER_BYTES + name.length + key.length + value.length];
    int at = 0;
    plaintext[at++] = RECORD_FORMAT;
    plaintext[at++] = (byte) name.length;
    System.arraycopy(name, 0, plaintext, at, name.length);
    at += name.length;
    System.arraycopy(u32(key.length), 0, plaintext, at, 4);
    at += 4;
    System.arraycopy(key, 0, plaintext, at, key.length);
    at += key.length;
    System.arraycopy(value, 0, plaintext, at, value.length);
    try {
      return values.encrypt(plaintext, location);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * Opens a stored record; fails when it was altered, moved, sealed under another key, or is not
   * a format v2 record. The caller checks that the namespace and key are the ones it expected.
   */
  Opened open(byte[] location, byte[] sealed) throws CryptoException {
    byte[] plaintext = values.decrypt(sealed, location);
    try {
      return decode(plaintext);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** Opens a format v1 value (the bare value, bound to its v1 location); only for recognising a v1 canary. */
  byte[] openV1(byte[] v1Location, byte[] sealed) throws CryptoException {
    return values.decrypt(sealed, v1Location);
  }

  private static Opened decode(byte[] plaintext) throws CryptoException {
    // The plaintext authenticated, so it was sealed by this code under this key; these checks
    // catch a record of another format version, not an attack.
    if (plaintext.length < PLAINTEXT_HEADER_BYTES) {
      throw new CryptoException("record plaintext is " + plaintext.length + " bytes, shorter than its header");
    }
    if (plaintext[0] != RECORD_FORMAT) {
      throw new CryptoException("record format " + plaintext[0] + " is not supported (this version reads " + RECORD_FORMAT + ")");
    }
    int nameLength = plaintext[1] & 0xff;
    int keyAt = 2 + nameLength + 4;
    if (nameLength == 0 || keyAt > plaintext.length) {
      throw new CryptoException("record namespace length " + nameLength + " does not fit its plaintext");
    }
    int keyLength = readU32(plaintext, 2 + nameLength);
    if (keyLength < 0 || keyLength > plaintext.length - keyAt) {
      throw new CryptoException("record key length " + keyLength + " does not fit its plaintext");
    }
    String namespace = new String(plaintext, 2, nameLength, StandardCharsets.US_ASCII);
    byte[] key = Arrays.copyOfRange(plaintext, keyAt, keyAt + keyLength);
    byte[] value = Arrays.copyOfRange(plaintext, keyAt + keyLength, plaintext.length);
    return new Opened(namespace, key, value);
  }

  private static byte[] ascii(String namespace) {
    return namespace.getBytes(StandardCharsets.US_ASCII);
  }

  private static int readU32(byte[] bytes, int at) {
    return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8 | (bytes[at + 3] & 0xff);
  }

  private static byte[] u32(int value) {
    return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
  }
}
