package dev.veilraft.consensus;

import dev.veilraft.consensus.SnapshotException.Reason;
import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.EpochChain;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.state.RecordSink;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The encrypted snapshot file (format v2). Everything after the header is AES-256-GCM under the
 * epoch snapshot key {@code S_e.deriveKey("veilraft/snapshot/v1")}:
 *
 * <pre>
 * header  = "veilraft-snapshot/v2" (20 bytes) || u64 epoch || u64 term || u64 index || snapshot id (16 random bytes)
 *           || u32 len(chain) || chain
 * chain   = (u32 len(link) || EpochLink protobuf)*   links of consecutive epochs ending at epoch, oldest first; may be empty
 * frame   = u8 type (1 chunk, 2 trailer) || u32 length || AesGcmAead ciphertext (key id, nonce, body, tag)
 * chunk   = records, each u8 len(ns) || ns || u32 len(key) || key || u32 len(value) || value
 * trailer = u64 chunk count || u64 record count        (the last frame; nothing may follow it)
 * AAD(n)  = SHA-256("veilraft/snapshot-aad/v1" || cluster id || header) || u8 type || u64 n
 * </pre>
 *
 * The chain is in the clear (its links are as public as the KeyEpoch entries they come from) so
 * that a member that missed key rotations can derive the snapshot's epoch secret before it
 * decrypts anything ({@link EpochChain#walk}); the whole header, chain included, is bound into
 * every frame's associated data. Frame n (0-based; the trailer is frame number chunk count)
 * authenticates only at position n of this very snapshot of this cluster, so chunks cannot be
 * altered, reordered, dropped or moved between snapshots, and the authenticated trailer detects a
 * cut at a frame boundary. The record count is in the trailer, not the header, because the export
 * streams. Records of node-local namespaces ({@value #NODE_LOCAL_PREFIX}…) are never written and
 * are refused when read. Format v1 (no chain) is refused with {@code UNSUPPORTED_VERSION}.
 */
public final class SnapshotFile {
  public static final String MAGIC = "veilraft-snapshot/v2";
  static final String MAGIC_FAMILY = "veilraft-snapshot/";
  public static final String KEY_LABEL = "veilraft/snapshot/v1";
  private static final byte[] AAD_LABEL = Hashes.utf8("veilraft/snapshot-aad/v1");
  /** Namespaces that belong to one node (its epoch secrets) and never leave it. */
  public static final String NODE_LOCAL_PREFIX = dev.veilraft.state.StateStore.NODE_LOCAL_PREFIX;
  /** A chunk is sealed once its records reach this size. */
  public static final int chunkBytesTarget = 1 << 20;
  /** The largest chunk plaintext: the target plus one record of the largest size. */
  static final int chunkPlaintextBytesMax = chunkBytesTarget + 1 + 64 + 4 + RocksDbStateStore.keySizeBytesMax + 4
      + RocksDbStateStore.valueSizeBytesMax;
  /** AesGcmAead overhead: format byte, key id, nonce, tag. */
  private static final int AEAD_OVERHEAD_BYTES = 1 + 4 + 12 + 16;
  static final int frameBytesMax = chunkPlaintextBytesMax + AEAD_OVERHEAD_BYTES;
  static final int SNAPSHOT_ID_BYTES = 16;
  /** The fixed part of the header: magic, epoch, term, index, snapshot id, chain length. */
  static final int HEADER_FIXED_BYTES = MAGIC.length() + 3 * 8 + SNAPSHOT_ID_BYTES + 4;
  /** The most links a header carries: as many as the replicated state keeps. */
  public static final int chainLinksMax = EpochChain.linksRetainedMax;
  /** The most bytes of chain a header carries; a writer leaves out the oldest links beyond it. */
  public static final int chainBytesMax = 16 << 20;
  private static final byte FRAME_CHUNK = 1;
  private static final byte FRAME_TRAILER = 2;
  private static final int TRAILER_BYTES = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private SnapshotFile() {}

  /** The header fields; {@code chain} holds the links of consecutive epochs ending at {@code epoch} (may be empty). */
  public record Header(long epoch, long term, long index, List<EpochLink> chain) {
    public Header {
      chain = List.copyOf(chain);
    }

    /** A header without an epoch chain. */
    public Header(long epoch, long term, long index) {
      this(epoch, term, index, List.of());
    }
  }

  /**
   * Finds the secret a snapshot is sealed under, given its header: this node's own secret of the
   * header's epoch, or one derived through the header's chain ({@link EpochChain#walk}). Empty
   * when this node holds none.
   */
  @FunctionalInterface
  public interface EpochKeys {
    Optional<EpochSecret> secretFor(Header header) throws EpochChain.ChainException;
  }

  /** What a written or read snapshot held. */
  public record Stats(Header header, long chunks, long records, long bytes) {}

  /** The AEAD of epoch {@code secret}'s snapshot key. */
  static AesGcmAead snapshotKey(EpochSecret secret) {
    return AesGcmAead.fromKey(secret.deriveKey(KEY_LABEL));
  }

  /**
   * Starts a snapshot file at {@code file} sealed under {@code secret}'s snapshot key; feed it
   * the records with {@link Writer#accept} (e.g. as the sink of {@code exportRecords}), then
   * {@link Writer#finish}. The records must be those of state {@code index}.
   */
  public static Writer create(Path file, byte[] clusterId, EpochSecret secret, long term, long index)
      throws IOException {
    return create(file, clusterId, secret, term, index, List.of());
  }

  /**
   * As {@link #create(Path, byte[], EpochSecret, long, long)}, with the epoch chain in the header:
   * {@code chain} must be links of consecutive epochs ending at {@code secret}'s (or empty); the
   * oldest links past {@link #chainLinksMax} or {@link #chainBytesMax} are left out.
   */
  public static Writer create(Path file, byte[] clusterId, EpochSecret secret, long term, long index,
      List<EpochLink> chain) throws IOException {
    return new Writer(file, clusterId, secret, term, index, boundedChain(secret, chain));
  }

  /** The newest links of {@code chain} within the bounds, checked to end at {@code secret}'s epoch and match it. */
  private static List<EpochLink> boundedChain(EpochSecret secret, List<EpochLink> chain) {
    if (chain.isEmpty()) {
      return List.of();
    }
    EpochLink last = chain.get(chain.size() - 1);
    Check.argument(last.getEpoch() == secret.epoch() && secret.matches(last.getKeyId().toByteArray()),
        "the epoch chain must end at the snapshot's epoch " + secret.epoch() + " and match its key id, but ends at "
            + last.getEpoch());
    List<EpochLink> kept = new ArrayList<>();
    long bytes = 0;
    for (int i = chain.size() - 1; i >= 0 && kept.size() < chainLinksMax; i--) {
      EpochLink link = chain.get(i);
      Check.argument(link.getEpoch() == secret.epoch() - kept.size(), "the epoch chain must hold consecutive"
          + " epochs, but epoch " + link.getEpoch() + " comes before epoch " + (secret.epoch() - kept.size() + 1));
      bytes += 4 + link.getSerializedSize();
      // A reader refuses a chain or link over its bound, so such links are left out (with all older ones).
      if (bytes > chainBytesMax || link.getSerializedSize() > EpochChain.linkBytesMax) {
        break;
      }
      kept.add(link);
    }
    java.util.Collections.reverse(kept);
    return kept;
  }

  private static byte[] chainBytes(List<EpochLink> chain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (EpochLink link : chain) {
      byte[] bytes = link.toByteArray();
      out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  /** Writes a snapshot in bounded chunks; memory holds one chunk. Not thread-safe. */
  public static final class Writer implements RecordSink, AutoCloseable {
    private final Path file;
    private final FileOutputStream fileOut;
    private final DataOutputStream out;
    private final AesGcmAead aead;
    private final byte[] aadPrefix;
    private final Header header;
    private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    private final DataOutputStream chunkOut = new DataOutputStream(chunk);
    private long chunks;
    private long records;
    private long skippedLocal;
    private boolean finished;

    private Writer(Path file, byte[] clusterId, EpochSecret secret, long term, long index, List<EpochLink> chain)
        throws IOException {
      this.file = file;
      this.header = new Header(secret.epoch(), term, index, chain);
      byte[] snapshotId = new byte[SNAPSHOT_ID_BYTES];
      RANDOM.nextBytes(snapshotId);
      byte[] chainBytes = chainBytes(chain);
      byte[] headerBytes = ByteBuffer.allocate(HEADER_FIXED_BYTES + chainBytes.length)
          .put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putLong(secret.epoch()).putLong(term).putLong(index)
          .put(snapshotId).putInt(chainBytes.length).put(chainBytes).array();
      this.aadPrefix = Hashes.sha256(AAD_LABEL, clusterId, headerBytes);
      this.aead = snapshotKey(secret);
      this.fileOut = new FileOutputStream(file.toFile());
      this.out = new DataOutputStream(new BufferedOutputStream(fileOut, 1 << 16));
      out.write(headerBytes);
    }

    @Override
    public void begin(long appliedIndex) throws IOException {
      if (appliedIndex != header.index()) {
        throw new IOException("snapshot " + file + " is for index " + header.index() + " but the store exported index "
            + appliedIndex);
      }
    }

    @Override
    public void accept(String namespace, byte[] key, byte[] value) throws IOException {
      if (namespace.startsWith(NODE_LOCAL_PREFIX)) {
        // This node's own secrets: the receiving node keeps its own.
        skippedLocal++;
        return;
      }
      byte[] ns = namespace.getBytes(StandardCharsets.US_ASCII);
      chunkOut.writeByte(ns.length);
      chunkOut.write(ns);
      chunkOut.writeInt(key.length);
      chunkOut.write(key);
      chunkOut.writeInt(value.length);
      chunkOut.write(value);
      records++;
      if (chunk.size() >= chunkBytesTarget) {
        sealChunk();
      }
    }

    private void sealChunk() throws IOException {
      writeFrame(FRAME_CHUNK, chunk.toByteArray());
      chunk.reset();
    }

    private void writeFrame(byte type, byte[] plaintext) throws IOException {
      byte[] sealed = aead.encrypt(plaintext, aad(aadPrefix, type, chunks));
      out.writeByte(type);
      out.writeInt(sealed.length);
      out.write(sealed);
      chunks++;
    }

    /** Seals the last chunk and the trailer, and syncs the file. */
    public Stats finish() throws IOException {
      if (chunk.size() > 0) {
        sealChunk();
      }
      long dataChunks = chunks;
      writeFrame(FRAME_TRAILER, ByteBuffer.allocate(TRAILER_BYTES).putLong(dataChunks).putLong(records).array());
      out.flush();
      fileOut.getChannel().force(true);
      finished = true;
      out.close();
      return new Stats(header, dataChunks, records, Files.size(file));
    }

    /** Node-local records left out. */
    public long skippedLocalRecords() {
      return skippedLocal;
    }

    /** Closes the file; an unfinished file is incomplete and should be deleted by the caller. */
    @Override
    public void close() throws IOException {
      if (!finished) {
        out.close();
      }
    }
  }

  private static byte[] aad(byte[] prefix, byte type, long number) {
    return ByteBuffer.allocate(prefix.length + 1 + 8).put(prefix).put(type).putLong(number).array();
  }

  /** Reads and checks only the header (magic, version, fields, epoch chain). */
  public static Header readHeader(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return parseHeader(file, readHeaderBytes(file, new DataInputStream(in)));
    }
  }

  /** The header's bytes: the fixed part, then as many chain bytes as it announces (bounded). */
  private static byte[] readHeaderBytes(Path file, DataInputStream in) throws IOException {
    byte[] fixed = new byte[HEADER_FIXED_BYTES];
    int read = in.readNBytes(fixed, 0, HEADER_FIXED_BYTES);
    byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
    byte[] family = MAGIC_FAMILY.getBytes(StandardCharsets.US_ASCII);
    if (read >= magic.length && Arrays.equals(fixed, 0, family.length, family, 0, family.length)
        && !Arrays.equals(fixed, 0, magic.length, magic, 0, magic.length)) {
      String found = new String(fixed, 0, magic.length, StandardCharsets.US_ASCII);
      throw new SnapshotException(Reason.UNSUPPORTED_VERSION, file, "it is \"" + Check.printable(found)
          + "\" but this code reads only " + MAGIC + " (v1 snapshots carry no epoch chain and are not installed"
          + " any more: delete the file and its .md5 and let the leader send a new snapshot)");
    }
    if (read < magic.length || !Arrays.equals(fixed, 0, magic.length, magic, 0, magic.length)) {
      throw new SnapshotException(read < magic.length && isPrefix(fixed, read, magic)
          ? Reason.TRUNCATED : Reason.BAD_MAGIC, file, "the file does not start with \"" + MAGIC + "\"");
    }
    if (read < HEADER_FIXED_BYTES) {
      throw new SnapshotException(Reason.TRUNCATED, file, "the header is " + read + " bytes, expected at least "
          + HEADER_FIXED_BYTES);
    }
    int chainLength = ByteBuffer.wrap(fixed, HEADER_FIXED_BYTES - 4, 4).getInt();
    if (chainLength < 0 || chainLength > chainBytesMax) {
      throw new SnapshotException(Reason.CHAIN_MALFORMED, file, "the epoch chain is "
          + Integer.toUnsignedString(chainLength) + " bytes, more than chainBytesMax " + chainBytesMax);
    }
    byte[] bytes = Arrays.copyOf(fixed, HEADER_FIXED_BYTES + chainLength);
    if (in.readNBytes(bytes, HEADER_FIXED_BYTES, chainLength) < chainLength) {
      throw new SnapshotException(Reason.TRUNCATED, file, "the file ends inside its " + chainLength
          + "-byte epoch chain");
    }
    return bytes;
  }

  private static boolean isPrefix(byte[] bytes, int length, byte[] of) {
    return Arrays.equals(bytes, 0, length, of, 0, length);
  }

  private static Header parseHeader(Path file, byte[] bytes) throws SnapshotException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    b.position(MAGIC.length());
    long epoch = b.getLong();
    long term = b.getLong();
    long index = b.getLong();
    if (epoch < 1 || term < 0 || index < 1) {
      throw new SnapshotException(Reason.BAD_MAGIC, file, "header fields out of range: epoch " + epoch + ", term "
          + term + ", index " + index);
    }
    b.position(HEADER_FIXED_BYTES);
    return new Header(epoch, term, index, parseChain(file, b));
  }

  private static List<EpochLink> parseChain(Path file, ByteBuffer b) throws SnapshotException {
    List<EpochLink> chain = new ArrayList<>();
    while (b.hasRemaining()) {
      if (chain.size() == chainLinksMax) {
        throw new SnapshotException(Reason.CHAIN_MALFORMED, file, "the epoch chain holds more than chainLinksMax "
            + chainLinksMax + " links");
      }
      if (b.remaining() < 4) {
        throw new SnapshotException(Reason.CHAIN_MALFORMED, file, "link " + chain.size() + " has a cut length");
      }
      int length = b.getInt();
      if (length < 1 || length > EpochChain.linkBytesMax || length > b.remaining()) {
        throw new SnapshotException(Reason.CHAIN_MALFORMED, file, "link " + chain.size() + " is "
            + Integer.toUnsignedString(length) + " bytes, outside 1.." + Math.min(EpochChain.linkBytesMax, b.remaining()));
      }
      byte[] link = new byte[length];
      b.get(link);
      try {
        chain.add(EpochLink.parseFrom(link));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new SnapshotException(Reason.CHAIN_MALFORMED, file, "link " + chain.size()
            + " is not an EpochLink protobuf: " + e.getMessage());
      }
    }
    return chain;
  }

  /** The snapshot refusal for a chain refusal. */
  static Reason reasonOf(EpochChain.Refusal refusal) {
    return switch (refusal) {
      case NO_SECRET -> Reason.NO_EPOCH_SECRET;
      case MALFORMED_LINK -> Reason.CHAIN_MALFORMED;
      case GAP -> Reason.CHAIN_GAP;
      case OUT_OF_ORDER -> Reason.CHAIN_OUT_OF_ORDER;
      case NOT_IN_EPOCH -> Reason.NOT_IN_EPOCH;
      case WRAP_NOT_OPENABLE -> Reason.WRAP_NOT_OPENABLE;
      case KEY_ID_MISMATCH -> Reason.KEY_ID_MISMATCH;
      case GROUP_KEY_MISMATCH -> Reason.GROUP_KEY_MISMATCH;
    };
  }

  /**
   * Authenticates and parses the whole file, passing its records to {@code sink} (after {@link
   * RecordSink#begin} with the header's index) as each chunk authenticates. A sink that builds
   * state must discard it when this throws: records of earlier chunks were already passed on.
   *
   * @param keys finds the secret of the header's epoch (this node's own, or through the chain)
   * @throws SnapshotException naming the file and the reason it is refused
   * @throws StateException from the sink
   */
  public static Stats read(Path file, byte[] clusterId, EpochKeys keys, RecordSink sink)
      throws IOException, StateException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      byte[] headerBytes = readHeaderBytes(file, in);
      Header header = parseHeader(file, headerBytes);
      EpochSecret secret;
      try {
        secret = keys.secretFor(header).orElseThrow(() -> new SnapshotException(Reason.NO_EPOCH_SECRET, file,
            "it is sealed under epoch " + header.epoch() + ", whose secret this node does not hold (it was not a"
                + " member then and received no history of it)"));
      } catch (EpochChain.ChainException e) {
        throw new SnapshotException(reasonOf(e.refusal()), file, "its epoch chain does not lead this node to epoch "
            + header.epoch() + ": " + e.getMessage());
      }
      Check.invariant(secret.epoch() == header.epoch(), "the secret found for epoch " + header.epoch()
          + " is of epoch " + secret.epoch());
      AesGcmAead aead = snapshotKey(secret);
      byte[] aadPrefix = Hashes.sha256(AAD_LABEL, clusterId, headerBytes);
      sink.begin(header.index());
      long bytes = headerBytes.length;
      long records = 0;
      for (long n = 0; ; n++) {
        int type = in.read();
        if (type < 0) {
          throw new SnapshotException(Reason.TRUNCATED, file, "the file ends after " + n + " chunks without a trailer");
        }
        if (type != FRAME_CHUNK && type != FRAME_TRAILER) {
          throw new SnapshotException(Reason.MALFORMED_FRAME, file, "frame " + n + " has unknown type " + type);
        }
        int length = readInt(file, in, n);
        if (length < AEAD_OVERHEAD_BYTES || length > frameBytesMax) {
          throw new SnapshotException(Reason.MALFORMED_FRAME, file, "frame " + n + " is " + length
              + " bytes, outside " + AEAD_OVERHEAD_BYTES + ".." + frameBytesMax);
        }
        byte[] sealed = new byte[length];
        if (in.readNBytes(sealed, 0, length) < length) {
          throw new SnapshotException(Reason.TRUNCATED, file, "frame " + n + " is cut short");
        }
        bytes += 5 + length;
        if (!Arrays.equals(sealed, 1, 5, aead.keyId(), 0, 4)) {
          throw new SnapshotException(Reason.WRONG_KEY, file, "frame " + n + " is not sealed under the epoch "
              + header.epoch() + " snapshot key (key id " + Hashes.hex(Arrays.copyOfRange(sealed, 1, 5)) + ")");
        }
        byte[] plain;
        try {
          plain = aead.decrypt(sealed, aad(aadPrefix, (byte) type, n));
        } catch (CryptoException e) {
          throw new SnapshotException(Reason.CHUNK_NOT_AUTHENTIC, file, "frame " + n
              + " does not authenticate at this position of this snapshot (altered, dropped, reordered or moved)");
        }
        if (type == FRAME_TRAILER) {
          ByteBuffer t = ByteBuffer.wrap(plain);
          if (plain.length != TRAILER_BYTES || t.getLong() != n || t.getLong() != records) {
            throw new SnapshotException(Reason.COUNT_MISMATCH, file, "the trailer does not match the " + n
                + " chunks and " + records + " records read");
          }
          if (in.read() >= 0) {
            throw new SnapshotException(Reason.TRAILING_BYTES, file, "bytes follow the trailer");
          }
          return new Stats(header, n, records, bytes);
        }
        records += parseChunk(file, n, plain, sink);
      }
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException("snapshot file " + file + " does not exist", e);
    }
  }

  /**
   * Authenticates the whole file as {@link #read} does (header, chain, every chunk and the
   * trailer) and discards its records: for checking a snapshot this node keeps but does not install.
   *
   * @throws SnapshotException naming the file and the reason it is refused
   */
  public static Stats verify(Path file, byte[] clusterId, EpochKeys keys) throws IOException {
    try {
      return read(file, clusterId, keys, (namespace, key, value) -> { });
    } catch (StateException e) {
      throw new IllegalStateException("a sink that discards its records threw: " + e.getMessage(), e);
    }
  }

  private static int readInt(Path file, DataInputStream in, long frame) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new SnapshotException(Reason.TRUNCATED, file, "frame " + frame + " header is cut short");
    }
  }

  private static long parseChunk(Path file, long n, byte[] plain, RecordSink sink) throws IOException, StateException {
    ByteBuffer b = ByteBuffer.wrap(plain);
    long count = 0;
    try {
      while (b.hasRemaining()) {
        int nsLength = b.get() & 0xff;
        byte[] ns = new byte[nsLength];
        b.get(ns);
        String namespace = new String(ns, StandardCharsets.US_ASCII);
        byte[] key = lengthPrefixed(b, RocksDbStateStore.keySizeBytesMax);
        byte[] value = lengthPrefixed(b, RocksDbStateStore.valueSizeBytesMax);
        if (namespace.startsWith(NODE_LOCAL_PREFIX)) {
          throw new SnapshotException(Reason.MALFORMED_RECORD, file, "chunk " + n
              + " holds a record of the node-local namespace " + namespace);
        }
        sink.accept(namespace, key, value);
        count++;
      }
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      throw new SnapshotException(Reason.MALFORMED_RECORD, file, "chunk " + n + " record " + count
          + " does not parse: " + e.getMessage());
    }
    return count;
  }

  private static byte[] lengthPrefixed(ByteBuffer b, int max) {
    int length = b.getInt();
    if (length < 0 || length > max || length > b.remaining()) {
      throw new IllegalArgumentException("length " + length + " out of bounds (max " + max + ")");
    }
    byte[] out = new byte[length];
    b.get(out);
    return out;
  }
}
