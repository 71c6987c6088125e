package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.RejectReason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SnpCertificateTableTest {
  private static final byte[] VCEK = {0x30, 1, 2, 3};
  private static final byte[] ASK = {0x30, 4, 5, 6, 7};
  private static final byte[] ARK = {0x30, 8, 9};

  private static byte[] threeEntries() {
    return SnpCertificateTable.of(List.of(SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, VCEK),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, ASK),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, ARK))).toByteArray();
  }

  /** Writes entry {@code index} of a table in place. */
  private static void setEntry(byte[] blob, int index, UUID guid, long offset, long length) {
    ByteBuffer out = ByteBuffer.wrap(blob).order(ByteOrder.BIG_ENDIAN);
    int at = index * SnpCertificateTable.ENTRY_BYTES;
    out.putLong(at, guid.getMostSignificantBits()).putLong(at + 8, guid.getLeastSignificantBits());
    out.order(ByteOrder.LITTLE_ENDIAN).putInt(at + 16, (int) offset).putInt(at + 20, (int) length);
  }

  private static String rejection(byte[] blob) {
    try {
      SnpCertificateTable.parse(blob);
    } catch (MalformedReportException e) {
      assertThat(e.reason()).isEqualTo(RejectReason.MALFORMED);
      return e.getMessage();
    }
    throw new AssertionError("table was accepted");
  }

  @Test
  void encodesTheGhcbLayout() {
    // Proves the encoding is the GHCB layout: RFC 4122 GUID bytes, little-endian offset and length, a zero terminator, then the data.
    byte[] blob = threeEntries();
    assertThat(Hashes.hex(Arrays.copyOfRange(blob, 0, 16))).isEqualTo("63da758de6644564adc5f4b93be8accd");
    assertThat(Hashes.hex(Arrays.copyOfRange(blob, 16, 24))).isEqualTo("6000000004000000");
    assertThat(Hashes.hex(Arrays.copyOfRange(blob, 24, 40))).isEqualTo("4ab7b379bbac4fe4a02f05aef327c782");
    assertThat(Hashes.hex(Arrays.copyOfRange(blob, 48, 64))).isEqualTo("c0b406a4a80349529743" + "3fb6014cd0ae");
    assertThat(Arrays.copyOfRange(blob, 72, 96)).containsOnly(0);
    assertThat(Arrays.copyOfRange(blob, 96, 100)).isEqualTo(VCEK);
    assertThat(blob).hasSize(96 + VCEK.length + ASK.length + ARK.length);
  }

  @Test
  void parsesWhatItBuildsWithRoles() throws Exception {
    // Proves a built table parses back to the same entries in order, each with the role its GUID names.
    SnpCertificateTable table = SnpCertificateTable.parse(threeEntries());
    assertThat(table.entries()).extracting(SnpCertificateTable.Entry::role)
        .containsExactly(SnpCertificateTable.Role.VCEK, SnpCertificateTable.Role.ASK, SnpCertificateTable.Role.ARK);
    assertThat(table.find(SnpCertificateTable.Role.ASK)).hasValueSatisfying(d -> assertThat(d).isEqualTo(ASK));
    assertThat(table.find(SnpCertificateTable.Role.VLEK)).isEmpty();
  }

  @Test
  void mapsEveryKnownGuidAndKeepsUnknownOnes() throws Exception {
    // Proves VLEK, CRL and unknown GUIDs are told apart, and unknown entries are kept as OTHER.
    UUID unknown = UUID.fromString("ecae0c0f-9502-43b1-afa2-0ae2e0d565b6");
    SnpCertificateTable table = SnpCertificateTable.parse(SnpCertificateTable.of(List.of(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VLEK, VCEK),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.CRL, ASK),
        new SnpCertificateTable.Entry(unknown, ARK))).toByteArray());
    assertThat(table.entries()).extracting(SnpCertificateTable.Entry::role)
        .containsExactly(SnpCertificateTable.Role.VLEK, SnpCertificateTable.Role.CRL, SnpCertificateTable.Role.OTHER);
    assertThat(SnpCertificateTable.Role.of(SnpCertificateTable.ARK_GUID)).isEqualTo(SnpCertificateTable.Role.ARK);
  }

  @Test
  void readsEmptyAndPagePaddedBlobs() throws Exception {
    // Proves an empty blob, a zeroed page (host supplied nothing) and a page-padded table are read as the kernel hands them over.
    assertThat(SnpCertificateTable.parse(new byte[0]).isEmpty()).isTrue();
    assertThat(SnpCertificateTable.parse(new byte[4096]).isEmpty()).isTrue();
    assertThat(SnpCertificateTable.parse(Arrays.copyOf(threeEntries(), 8192)).entries()).hasSize(3);
  }

  @Test
  void readsARealChainFromTheVectors() throws Exception {
    // Proves a table carrying a real Milan VCEK, ASK and ARK round-trips byte for byte.
    List<byte[]> chain = TeeVectors.certificates(TeeVectors.VIRTEE_CHAIN);
    byte[] vcek = TeeVectors.read(TeeVectors.VIRTEE_VCEK);
    byte[] blob = SnpCertificateTable.of(List.of(SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, vcek),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, chain.get(0)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, chain.get(1)))).toByteArray();
    SnpCertificateTable table = SnpCertificateTable.parse(blob);
    assertThat(table.find(SnpCertificateTable.Role.VCEK)).hasValueSatisfying(d -> assertThat(d).isEqualTo(vcek));
    assertThat(table.find(SnpCertificateTable.Role.ARK)).hasValueSatisfying(d -> assertThat(d).isEqualTo(chain.get(1)));
  }

  @Test
  void rejectsATableWithoutTerminator() {
    // Proves a table whose entries run to the end of the blob without an all-zero entry is refused.
    byte[] blob = threeEntries();
    assertThat(rejection(Arrays.copyOf(blob, 72))).contains("no all-zero terminating entry");
  }

  @Test
  void rejectsATerminatorGuidWithData() {
    // Proves an all-zero GUID that still carries an offset is refused rather than read as the end.
    byte[] blob = threeEntries();
    setEntry(blob, 3, new UUID(0, 0), 96, 4);
    assertThat(rejection(blob)).contains("entry 3").contains("all-zero GUID");
  }

  @Test
  void rejectsAnEntryInsideTheHeader() {
    // Proves an entry pointing into the table of entries is refused, naming the entry.
    byte[] blob = threeEntries();
    setEntry(blob, 1, SnpCertificateTable.ASK_GUID, 24, 5);
    assertThat(rejection(blob)).contains("entry 1 (ASK)").contains("inside the 96-byte table");
  }

  @Test
  void rejectsAnEntryBeyondTheBlob() {
    // Proves an entry whose range ends past the blob is refused, including when offset + length overflows 32 bits.
    byte[] blob = threeEntries();
    setEntry(blob, 2, SnpCertificateTable.ARK_GUID, 105, 4);
    assertThat(rejection(blob)).contains("entry 2 (ARK)").contains("beyond the 108-byte blob");
    setEntry(blob, 2, SnpCertificateTable.ARK_GUID, 0xFFFF_FFF0L, 0x20);
    assertThat(rejection(blob)).contains("entry 2 (ARK)").contains("beyond");
  }

  @Test
  void rejectsOverlappingEntries() {
    // Proves two entries sharing bytes are refused, naming both.
    byte[] blob = threeEntries();
    setEntry(blob, 1, SnpCertificateTable.ASK_GUID, 98, 5);
    assertThat(rejection(blob)).contains("entry 1 (ASK)").contains("overlaps certificate table entry 0 (VCEK)");
  }

  @Test
  void rejectsEmptyAndRepeatedEntries() {
    // Proves a zero-length entry and a GUID given twice are refused, naming the entry.
    byte[] blob = threeEntries();
    setEntry(blob, 2, SnpCertificateTable.ARK_GUID, 105, 0);
    assertThat(rejection(blob)).contains("entry 2 (ARK) is empty");
    blob = threeEntries();
    setEntry(blob, 2, SnpCertificateTable.VCEK_GUID, 105, 3);
    assertThat(rejection(blob)).contains("entry 2 (VCEK) repeats the GUID of entry 0");
  }

  @Test
  void boundsEntriesAndSize() {
    // Proves more than ENTRIES_MAX entries and a blob over TABLE_BYTES_MAX are refused before any copying.
    int count = SnpCertificateTable.ENTRIES_MAX + 1;
    byte[] blob = new byte[(count + 1) * SnpCertificateTable.ENTRY_BYTES + count];
    for (int i = 0; i < count; i++) {
      setEntry(blob, i, new UUID(1, i + 1), (count + 1) * SnpCertificateTable.ENTRY_BYTES + i, 1);
    }
    assertThat(rejection(blob)).contains("more than " + SnpCertificateTable.ENTRIES_MAX + " entries");
    assertThat(rejection(new byte[SnpCertificateTable.TABLE_BYTES_MAX + 1])).contains("bound of");
  }

  @Test
  void refusesToBuildInvalidTables() {
    // Proves the builder refuses repeated GUIDs, empty data and the terminator GUID.
    SnpCertificateTable.Entry vcek = SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, VCEK);
    assertThatThrownBy(() -> SnpCertificateTable.of(List.of(vcek, vcek))).hasMessageContaining("repeats the GUID");
    assertThatThrownBy(() -> SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, new byte[0]))
        .hasMessageContaining("needs data");
    assertThatThrownBy(() -> new SnpCertificateTable.Entry(new UUID(0, 0), VCEK)).hasMessageContaining("all-zero");
    List<SnpCertificateTable.Entry> many = new ArrayList<>();
    for (int i = 0; i <= SnpCertificateTable.ENTRIES_MAX; i++) {
      many.add(new SnpCertificateTable.Entry(new UUID(2, i + 1), VCEK));
    }
    assertThatThrownBy(() -> SnpCertificateTable.of(many)).hasMessageContaining("at most");
  }

  @Test
  void committedFuzzSeedsAreTheSyntheticTables() throws IOException {
    // Proves the committed fuzz seeds are exactly the synthetic tables SnpCertificateTableSeeds builds (none vector-derived).
    Map<String, byte[]> seeds = SnpCertificateTableSeeds.all();
    if (Boolean.getBoolean("veilraft.regenerateSeeds")) {
      Path dir = Path.of("src/test/resources/dev/veilraft/crypto/tee").resolve(SnpCertificateTableSeeds.DIRECTORY);
      Files.createDirectories(dir);
      for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
        Files.write(dir.resolve(seed.getKey()), seed.getValue());
      }
    }
    for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
      try (InputStream in = getClass().getResourceAsStream(SnpCertificateTableSeeds.DIRECTORY + "/" + seed.getKey())) {
        assertThat(in).as("seed %s is committed", seed.getKey()).isNotNull();
        assertThat(in.readAllBytes()).as("seed %s", seed.getKey()).isEqualTo(seed.getValue());
      }
    }
  }
}
