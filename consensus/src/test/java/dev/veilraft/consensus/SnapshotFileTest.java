package dev.veilraft.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SnapshotException.Reason;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateDirectory;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppHost;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The encrypted snapshot file: round trip, refusal of every tampering, and install through a Replica. */
class SnapshotFileTest {
  private static final byte[] CLUSTER = Hashes.sha256(Hashes.utf8("snapshot test cluster"));
  private static final EpochSecret EPOCH_3 = EpochSecret.restore(3, Hashes.sha256(Hashes.utf8("epoch 3")));
  private static final EpochSecret OTHER_3 = EpochSecret.restore(3, Hashes.sha256(Hashes.utf8("another epoch 3")));
  private static final int BIG_VALUE_BYTES = 256 * 1024;

  @TempDir Path dir;
  private final List<StateStore> open = new ArrayList<>();

  @AfterEach
  void close() {
    open.forEach(StateStore::close);
  }

  private static byte[] secret(String name) {
    return Hashes.sha256(Hashes.utf8("storage " + name));
  }

  /** A store at index 7 with kv records (about 2.5 MiB: three chunks), membership and node-local records. */
  private RocksDbStateStore sourceStore(String name) throws Exception {
    RocksDbStateStore store = RocksDbStateStore.open(dir.resolve(name), secret(name));
    open.add(store);
    StateTransaction tx = store.begin();
    for (int i = 0; i < 10; i++) {
      byte[] value = new byte[BIG_VALUE_BYTES];
      Arrays.fill(value, (byte) i);
      tx.put("app/kv", Hashes.utf8("big-" + i), value);
    }
    tx.put("app/kv", Hashes.utf8("small"), Hashes.utf8("v"));
    tx.put("membership", Hashes.utf8("leader-time"), Hashes.u64(1234));
    tx.put(Replica.SECRETS_NAMESPACE, Hashes.u64(3), Hashes.utf8("source node's own secret"));
    tx.commit(7);
    return store;
  }

  private Path writeSnapshot(RocksDbStateStore store) throws Exception {
    Path file = dir.resolve("snapshot.2_7");
    try (SnapshotFile.Writer writer = SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7)) {
      store.exportRecords(writer);
      SnapshotFile.Stats stats = writer.finish();
      assertThat(stats.records()).isEqualTo(12);
      assertThat(stats.chunks()).isEqualTo(3);
      assertThat(writer.skippedLocalRecords()).isEqualTo(1);
    }
    return file;
  }

  private static TreeMap<String, byte[]> readAll(Path file, EpochSecret secret) throws Exception {
    return readAll(file, CLUSTER, secret);
  }

  private static TreeMap<String, byte[]> readAll(Path file, byte[] cluster, EpochSecret secret) throws Exception {
    TreeMap<String, byte[]> records = new TreeMap<>();
    long[] begun = {-1};
    SnapshotFile.read(file, cluster, h -> h.epoch() == secret.epoch() ? Optional.of(secret) : Optional.empty(),
        new dev.veilraft.state.RecordSink() {
          @Override
          public void begin(long index) {
            begun[0] = index;
          }

          @Override
          public void accept(String ns, byte[] key, byte[] value) {
            records.put(ns + "|" + new String(key, java.nio.charset.StandardCharsets.UTF_8), value);
          }
        });
    assertThat(begun[0]).isEqualTo(7);
    return records;
  }

  /** The header's length: its fixed part and the epoch chain it announces. */
  static int headerBytes(byte[] file) {
    return SnapshotFile.HEADER_FIXED_BYTES
        + java.nio.ByteBuffer.wrap(file, SnapshotFile.HEADER_FIXED_BYTES - 4, 4).getInt();
  }

  /** The frames after the header: each type byte, length and ciphertext. */
  static List<byte[]> frames(byte[] file) {
    List<byte[]> frames = new ArrayList<>();
    int at = headerBytes(file);
    while (at < file.length) {
      int length = java.nio.ByteBuffer.wrap(file, at + 1, 4).getInt();
      frames.add(Arrays.copyOfRange(file, at, at + 5 + length));
      at += 5 + length;
    }
    return frames;
  }

  private static byte[] assemble(byte[] file, List<byte[]> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(file, 0, headerBytes(file));
    frames.forEach(out::writeBytes);
    return out.toByteArray();
  }

  private static void assertRefused(Path file, Reason reason) {
    assertThatThrownBy(() -> readAll(file, EPOCH_3)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining(reason.name())
        .satisfies(e -> assertThat(((SnapshotException) e).reason()).isEqualTo(reason));
  }

  @Test
  void roundTripKeepsEveryReplicatedRecordAndLeavesNodeLocalOnesOut() throws Exception {
    // Proves what goes in comes out, node/… records are not exported, and no plaintext is in the file.
    Path file = writeSnapshot(sourceStore("src"));
    TreeMap<String, byte[]> records = readAll(file, EPOCH_3);
    assertThat(records).hasSize(12).containsKey("app/kv|small").containsKey("membership|leader-time")
        .doesNotContainKey("node/epochs|" + new String(Hashes.u64(3), java.nio.charset.StandardCharsets.UTF_8));
    assertThat(records.get("app/kv|big-4")).hasSize(BIG_VALUE_BYTES).containsOnly((byte) 4);
    assertThat(SnapshotFile.readHeader(file)).isEqualTo(new SnapshotFile.Header(3, 2, 7));
    byte[] bytes = Files.readAllBytes(file);
    for (String marker : List.of("small", "big-4", "leader-time", "app/kv", "membership")) {
      assertThat(indexOf(bytes, Hashes.utf8(marker))).as(marker).isNegative();
    }
  }

  @Test
  void everyTamperingIsRefusedWithItsReason() throws Exception {
    // Proves a flipped byte, a dropped, reordered or cut chunk, bytes after the trailer, a wrong key,
    // a wrong magic, another cluster and a missing epoch secret are each refused with a specific reason.
    Path file = writeSnapshot(sourceStore("src"));
    byte[] good = Files.readAllBytes(file);
    List<byte[]> frames = frames(good);
    assertThat(frames).hasSize(4);
    Path bad = dir.resolve("snapshot.2_7.bad");

    byte[] flipped = good.clone();
    flipped[headerBytes(good) + 5 + 100] ^= 1;
    Files.write(bad, flipped);
    assertRefused(bad, Reason.CHUNK_NOT_AUTHENTIC);

    List<byte[]> dropped = new ArrayList<>(frames);
    dropped.remove(1);
    Files.write(bad, assemble(good, dropped));
    assertRefused(bad, Reason.CHUNK_NOT_AUTHENTIC);

    List<byte[]> reordered = new ArrayList<>(frames);
    reordered.set(0, frames.get(1));
    reordered.set(1, frames.get(0));
    Files.write(bad, assemble(good, reordered));
    assertRefused(bad, Reason.CHUNK_NOT_AUTHENTIC);

    Files.write(bad, assemble(good, frames.subList(0, 3)));
    assertRefused(bad, Reason.TRUNCATED);
    Files.write(bad, Arrays.copyOf(good, good.length - 10));
    assertRefused(bad, Reason.TRUNCATED);
    Files.write(bad, Arrays.copyOf(good, 30));
    assertRefused(bad, Reason.TRUNCATED);

    Files.write(bad, Hashes.concat(good, new byte[] {1}));
    assertRefused(bad, Reason.TRAILING_BYTES);

    byte[] magic = good.clone();
    magic[0] = 'X';
    Files.write(bad, magic);
    assertRefused(bad, Reason.BAD_MAGIC);
    byte[] version = good.clone();
    version[SnapshotFile.MAGIC.length() - 1] = '9';
    Files.write(bad, version);
    assertRefused(bad, Reason.UNSUPPORTED_VERSION);

    byte[] header = good.clone();
    header[SnapshotFile.MAGIC.length() + 8 + 8 + 7] ^= 1; // the index
    Files.write(bad, header);
    assertRefused(bad, Reason.CHUNK_NOT_AUTHENTIC);

    assertThatThrownBy(() -> readAll(file, OTHER_3)).isInstanceOf(SnapshotException.class)
        .satisfies(e -> assertThat(((SnapshotException) e).reason()).isEqualTo(Reason.WRONG_KEY));
    assertThatThrownBy(() -> readAll(file, Hashes.sha256(Hashes.utf8("other cluster")), EPOCH_3))
        .isInstanceOf(SnapshotException.class)
        .satisfies(e -> assertThat(((SnapshotException) e).reason()).isEqualTo(Reason.CHUNK_NOT_AUTHENTIC));
    assertThatThrownBy(() -> readAll(file, EpochSecret.restore(2, Hashes.sha256(Hashes.utf8("epoch 2")))))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("epoch 3")
        .satisfies(e -> assertThat(((SnapshotException) e).reason()).isEqualTo(Reason.NO_EPOCH_SECRET));
  }

  /** A made-up link: only the snapshot's own epoch link must match the secret for the writer. */
  private static EpochLink link(long epoch, EpochSecret secret) {
    return EpochLink.newBuilder().setEpoch(epoch)
        .setMembersHash(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("members " + epoch))))
        .setPolicyHash(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("policy"))))
        .setKeyId(ByteString.copyFrom(secret.keyId())).setGroupPublicKey(ByteString.copyFrom(secret.groupPublicKey()))
        .addWraps(HpkeWrap.newBuilder().setNodeId("n1").setEncapsulatedKey(ByteString.copyFrom(new byte[32]))
            .setCiphertext(ByteString.copyFrom(new byte[48])))
        .build();
  }

  private static final List<EpochLink> CHAIN = List.of(
      link(2, EpochSecret.restore(2, Hashes.sha256(Hashes.utf8("epoch 2")))), link(3, EPOCH_3));

  /** {@code file} with its chain section replaced by {@code chain} (the length field follows). */
  private static byte[] withChainBytes(byte[] file, byte[] chain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] fixed = Arrays.copyOf(file, SnapshotFile.HEADER_FIXED_BYTES);
    java.nio.ByteBuffer.wrap(fixed).putInt(SnapshotFile.HEADER_FIXED_BYTES - 4, chain.length);
    out.writeBytes(fixed);
    out.writeBytes(chain);
    frames(file).forEach(out::writeBytes);
    return out.toByteArray();
  }

  private static byte[] lengthPrefixed(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(part.length).array());
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @Test
  void theHeaderCarriesTheEpochChainInTheClearAndEveryFrameBindsIt() throws Exception {
    // Proves the chain round-trips through the header readable before decryption, and a chain
    // altered after writing makes every frame fail to authenticate.
    Path file = dir.resolve("snapshot.2_7");
    try (SnapshotFile.Writer writer = SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, CHAIN)) {
      sourceStore("src").exportRecords(writer);
      assertThat(writer.finish().header().chain()).isEqualTo(CHAIN);
    }
    assertThat(SnapshotFile.readHeader(file)).isEqualTo(new SnapshotFile.Header(3, 2, 7, CHAIN));
    assertThat(readAll(file, EPOCH_3)).hasSize(12);

    byte[] good = Files.readAllBytes(file);
    byte[] altered = withChainBytes(good, lengthPrefixed(CHAIN.get(0).toBuilder()
        .setMembersHash(ByteString.copyFrom(new byte[32])).build().toByteArray(), CHAIN.get(1).toByteArray()));
    Path bad = dir.resolve("snapshot.2_7.bad");
    Files.write(bad, altered);
    assertThat(SnapshotFile.readHeader(bad).chain().get(0).getMembersHash().toByteArray()).containsOnly(0);
    assertRefused(bad, Reason.CHUNK_NOT_AUTHENTIC);
  }

  @Test
  void aByteFlippedAnywhereInTheFileIsRefusedNamingTheFile() throws Exception {
    // Proves there is no unauthenticated byte in a snapshot file: flipping any bit pattern of any single byte
    // (magic, epoch, term, index, snapshot id, chain, frame types, lengths, key ids, nonces, ciphertexts, tags,
    // trailer) makes the read refuse the file with a SnapshotException naming it; records already passed to the
    // sink are the caller's to discard (install imports into state.new). A small snapshot keeps it under a second.
    RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("small"), secret("small"));
    open.add(store);
    StateTransaction tx = store.begin();
    tx.put("app/kv", Hashes.utf8("a"), Hashes.utf8("value a"));
    tx.put("app/kv", Hashes.utf8("b"), Hashes.utf8("value b"));
    tx.put("membership", Hashes.utf8("leader-time"), Hashes.u64(1234));
    tx.commit(7);
    Path file = dir.resolve("snapshot.2_7");
    try (SnapshotFile.Writer writer = SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, CHAIN)) {
      store.exportRecords(writer);
      writer.finish();
    }
    assertThat(readAll(file, EPOCH_3)).hasSize(3);
    byte[] good = Files.readAllBytes(file);
    Path bad = dir.resolve("snapshot.2_7.flipped");
    List<String> accepted = new ArrayList<>();
    for (int at = 0; at < good.length; at++) {
      for (int mask : new int[] {0x01, 0x80, 0xff}) {
        byte[] flipped = good.clone();
        flipped[at] ^= (byte) mask;
        Files.write(bad, flipped);
        try {
          readAll(bad, EPOCH_3);
          accepted.add("byte " + at + " ^ 0x" + Integer.toHexString(mask));
        } catch (SnapshotException refused) {
          assertThat(refused.file()).isEqualTo(bad);
          assertThat(refused).hasMessageContaining(bad.toString()).hasMessageContaining(refused.reason().name());
        }
      }
    }
    assertThat(accepted).as("flips of a %d-byte snapshot that were read as valid", good.length).isEmpty();
  }

  @Test
  void theWriterRefusesAChainThatDoesNotEndAtItsEpoch() {
    // Proves a writer never produces a header whose chain a reader would refuse as a gap or mismatch.
    Path file = dir.resolve("snapshot.9_9");
    assertThatThrownBy(() -> SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, CHAIN.subList(0, 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must end at the snapshot's epoch 3");
    assertThatThrownBy(() -> SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, List.of(link(3, OTHER_3))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, List.of(CHAIN.get(1), CHAIN.get(1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consecutive");
  }

  @Test
  void versionOneAndGarbledChainsAreRefusedWithTheirReasons() throws Exception {
    // Proves a v1 file, a chain over its bound, cut short, with a bad link length or a link that
    // is not a protobuf are each refused with a specific reason before any decryption.
    Path file = dir.resolve("snapshot.2_7");
    try (SnapshotFile.Writer writer = SnapshotFile.create(file, CLUSTER, EPOCH_3, 2, 7, CHAIN)) {
      sourceStore("src").exportRecords(writer);
      writer.finish();
    }
    byte[] good = Files.readAllBytes(file);
    Path bad = dir.resolve("snapshot.2_7.bad");

    byte[] v1 = good.clone();
    System.arraycopy(Hashes.utf8("veilraft-snapshot/v1"), 0, v1, 0, SnapshotFile.MAGIC.length());
    Files.write(bad, v1);
    assertRefused(bad, Reason.UNSUPPORTED_VERSION);
    assertThatThrownBy(() -> SnapshotFile.readHeader(bad)).hasMessageContaining("veilraft-snapshot/v1")
        .hasMessageContaining("reads only veilraft-snapshot/v2");

    byte[] huge = good.clone();
    java.nio.ByteBuffer.wrap(huge).putInt(SnapshotFile.HEADER_FIXED_BYTES - 4, SnapshotFile.chainBytesMax + 1);
    Files.write(bad, huge);
    assertRefused(bad, Reason.CHAIN_MALFORMED);

    Files.write(bad, Arrays.copyOf(good, SnapshotFile.HEADER_FIXED_BYTES + 10));
    assertRefused(bad, Reason.TRUNCATED);

    Files.write(bad, withChainBytes(good, lengthPrefixed(new byte[0])));
    assertRefused(bad, Reason.CHAIN_MALFORMED);
    Files.write(bad, withChainBytes(good, new byte[] {0, 0, 1}));
    assertRefused(bad, Reason.CHAIN_MALFORMED);
    byte[] overlong = lengthPrefixed(CHAIN.get(0).toByteArray());
    java.nio.ByteBuffer.wrap(overlong).putInt(0, overlong.length);
    Files.write(bad, withChainBytes(good, overlong));
    assertRefused(bad, Reason.CHAIN_MALFORMED);
    Files.write(bad, withChainBytes(good, lengthPrefixed(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})));
    assertRefused(bad, Reason.CHAIN_MALFORMED);
  }

  private Replica receiver(Path stateDir, String name) throws Exception {
    StateDirectory directory = new StateDirectory(stateDir, secret(name));
    RocksDbStateStore store = directory.open();
    StateTransaction tx = store.begin();
    tx.put(Replica.SECRETS_NAMESPACE, Hashes.u64(3), EPOCH_3.secretBytes());
    tx.put("app/kv", Hashes.utf8("stale"), Hashes.utf8("only here"));
    tx.commit(2);
    EpochKeyring keyring = new EpochKeyring();
    keyring.put(EPOCH_3);
    return new Replica(store, directory, CLUSTER, "receiver", KemKeyPair.generate(), null, keyring,
        new AppHost(List.of(new dev.veilraft.state.kv.KvApp())));
  }

  private static boolean install(Replica replica, Path file) throws Exception {
    return replica.installSnapshot(7, sink -> SnapshotFile.read(file, CLUSTER, h -> replica.keyring().get(h.epoch()),
        sink));
  }

  @Test
  void installReplacesTheStateKeepsNodeLocalRecordsAndRefusesBadSnapshots() throws Exception {
    // Proves an install yields exactly the snapshot's records plus the receiver's own node/… records, a
    // refused snapshot leaves the old state in place, and a snapshot not ahead of the store is ignored.
    Path file = writeSnapshot(sourceStore("src"));
    Path stateDir = dir.resolve("receiver/state");
    Replica replica = receiver(stateDir, "receiver");

    byte[] cut = Files.readAllBytes(file);
    Path bad = dir.resolve("snapshot.2_7.cut");
    Files.write(bad, Arrays.copyOf(cut, cut.length - 100));
    assertThatThrownBy(() -> install(replica, bad)).isInstanceOf(SnapshotException.class);
    assertThat(replica.appliedIndex()).isEqualTo(2);
    assertThat(replica.store().get("app/kv", Hashes.utf8("stale"))).isPresent();
    assertThat(Files.exists(stateDir.resolveSibling("state.new"))).isFalse();

    assertThat(install(replica, file)).isTrue();
    open.add(replica.store());
    assertThat(replica.appliedIndex()).isEqualTo(7);
    assertThat(replica.store().get("app/kv", Hashes.utf8("stale"))).isEmpty();
    assertThat(replica.store().get("app/kv", Hashes.utf8("small"))).contains(Hashes.utf8("v"));
    assertThat(replica.store().get(Replica.SECRETS_NAMESPACE, Hashes.u64(3))).contains(EPOCH_3.secretBytes());
    List<StateRecord> big = replica.store().scan("app/kv", Hashes.utf8("big-"), Hashes.utf8("big."), 100);
    assertThat(big).hasSize(10);
    assertThat(install(replica, file)).as("a snapshot at the applied index is ignored").isFalse();
    assertThat(Files.list(stateDir.getParent()).map(p -> p.getFileName().toString())).containsExactly("state");
  }

  @Test
  void openFinishesOrRollsBackAnInterruptedSwap() throws Exception {
    // Proves a crash between the two renames completes the swap, and a lone .new (unfinished import) is deleted.
    Path root = dir.resolve("swap");
    Path state = root.resolve("state");
    StateDirectory directory = new StateDirectory(state, secret("n"));
    RocksDbStateStore old = directory.open();
    old.close();
    RocksDbStateStore imported = RocksDbStateStore.importRecords(root.resolve("state.new"), secret("n"), 9,
        sink -> sink.accept("app/kv", Hashes.utf8("k"), Hashes.utf8("new")));
    imported.close();
    Files.move(state, root.resolve("state.old"));
    RocksDbStateStore recovered = directory.open();
    open.add(recovered);
    assertThat(recovered.appliedIndex()).isEqualTo(9);
    assertThat(Files.exists(root.resolve("state.old"))).isFalse();
    recovered.close();

    Files.createDirectories(root.resolve("state.new"));
    Files.writeString(root.resolve("state.new/partial"), "x");
    RocksDbStateStore kept = directory.open();
    open.add(kept);
    assertThat(kept.appliedIndex()).isEqualTo(9);
    assertThat(Files.exists(root.resolve("state.new"))).isFalse();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
