package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.RejectReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The SEV-SNP certificate table the host hands a guest with an extended report: the certificate
 * buffer of {@code SNP_GET_EXT_REPORT}, and the configfs-tsm {@code auxblob} of the
 * {@code sev_guest} provider. Layout (AMD GHCB specification 56421, MSG_REPORT_REQ extended
 * request; read from google/go-sev-guest {@code abi.ParseSnpCertTableHeader} and virtee/sev
 * {@code CertTableEntry}): entries of 24 bytes, each a 16-byte GUID in RFC 4122 byte order, a
 * little-endian u32 offset from the start of the table and a little-endian u32 length, ended by an
 * all-zero entry; the certificates (DER) follow the entries. The kernel hands out whole pages, so
 * zero padding after the last certificate is normal.
 *
 * <p>The table comes from the host, which the threat model does not trust: parsing is bounded
 * (entry count, blob size), every entry must lie after the header and inside the blob, entries
 * may not overlap or repeat a GUID, and every failure is a {@link MalformedReportException}
 * naming the entry. Nothing here vouches for the certificates themselves: the verifier checks the
 * chain against the pinned AMD roots.
 */
public final class SnpCertificateTable {
  /** Bytes of one table entry: GUID (16), offset (4), length (4). */
  public static final int ENTRY_BYTES = 24;
  /** Bound on entries before the terminator; real hosts send 3 or 4 (VCEK/VLEK, ASK, ARK, maybe a CRL). */
  public static final int ENTRIES_MAX = 32;
  /**
   * Bound on the whole blob. The kernel caps the certificate buffer at SEV_FW_BLOB_MAX_SIZE (16 KiB)
   * today; four times that leaves room for future kernels without letting a host make us copy
   * megabytes.
   */
  public static final int TABLE_BYTES_MAX = 64 * 1024;

  /** Versioned Chip Endorsement Key. */
  public static final UUID VCEK_GUID = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd");
  /** Versioned Loaded Endorsement Key (issued to a cloud provider, not served by AMD KDS). */
  public static final UUID VLEK_GUID = UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
  /** AMD SEV signing key; the GHCB spec also uses it for the ASVK that signs VLEKs. */
  public static final UUID ASK_GUID = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");
  /** AMD root key. */
  public static final UUID ARK_GUID = UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae");
  /**
   * A certificate revocation list. Not in the GHCB specification: defined by virtee/sev
   * ({@code CertType::CRL}) and used by hosts built on it; go-sev-guest keeps such entries as extras.
   */
  public static final UUID CRL_GUID = UUID.fromString("92f81bc3-5811-4d3d-97ff-d19f88dc67ea");

  private static final UUID ZERO_GUID = new UUID(0, 0);
  private static final int GUID_BYTES = 16;
  private static final long U32_MASK = 0xFFFF_FFFFL;

  /** What an entry holds, by its GUID. */
  public enum Role {
    VCEK,
    VLEK,
    /** The ASK, or the ASVK when the leaf is a VLEK: both carry the same GUID. */
    ASK,
    ARK,
    CRL,
    /** A GUID this code does not know (kept, never used as a certificate). */
    OTHER;

    /** The role of {@code guid}. */
    public static Role of(UUID guid) {
      if (VCEK_GUID.equals(guid)) {
        return VCEK;
      }
      if (VLEK_GUID.equals(guid)) {
        return VLEK;
      }
      if (ASK_GUID.equals(guid)) {
        return ASK;
      }
      if (ARK_GUID.equals(guid)) {
        return ARK;
      }
      return CRL_GUID.equals(guid) ? CRL : OTHER;
    }

    /** The GUID of this role; empty for {@link #OTHER}. */
    public Optional<UUID> guid() {
      return switch (this) {
        case VCEK -> Optional.of(VCEK_GUID);
        case VLEK -> Optional.of(VLEK_GUID);
        case ASK -> Optional.of(ASK_GUID);
        case ARK -> Optional.of(ARK_GUID);
        case CRL -> Optional.of(CRL_GUID);
        case OTHER -> Optional.empty();
      };
    }
  }

  /**
   * One table entry: a GUID and the bytes it points at (DER for certificates and CRLs).
   *
   * @param guid the entry's GUID; never the all-zero terminator
   * @param data the bytes; copied in and out
   */
  public record Entry(UUID guid, byte[] data) {
    public Entry {
      Objects.requireNonNull(guid, "guid");
      Check.argument(!ZERO_GUID.equals(guid), "the all-zero GUID ends the table and cannot name an entry");
      Check.argument(data != null && data.length > 0, "entry " + guid + " needs data");
      data = data.clone();
    }

    /** An entry of a known role. */
    public static Entry of(Role role, byte[] data) {
      return new Entry(role.guid().orElseThrow(() -> new IllegalArgumentException("role OTHER has no GUID")), data);
    }

    public Role role() {
      return Role.of(guid);
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Entry that && guid.equals(that.guid) && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
      return 31 * guid.hashCode() + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return role() + "(" + guid + ", " + data.length + " bytes)";
    }
  }

  private static final SnpCertificateTable EMPTY = new SnpCertificateTable(List.of());

  private final List<Entry> entries;

  private SnpCertificateTable(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** A table with no entries: what a host that supplies no certificates gives. */
  public static SnpCertificateTable empty() {
    return EMPTY;
  }

  /**
   * A table of {@code entries}, in that order; fails on more than {@value #ENTRIES_MAX} entries, a
   * repeated GUID, or an encoding larger than {@value #TABLE_BYTES_MAX} bytes.
   */
  public static SnpCertificateTable of(List<Entry> entries) {
    Check.argument(entries.size() <= ENTRIES_MAX,
        "a certificate table holds at most " + ENTRIES_MAX + " entries, got " + entries.size());
    long bytes = (long) (entries.size() + 1) * ENTRY_BYTES;
    for (int i = 0; i < entries.size(); i++) {
      Entry entry = Objects.requireNonNull(entries.get(i), "entry " + i);
      for (int j = 0; j < i; j++) {
        Check.argument(!entries.get(j).guid().equals(entry.guid()),
            "entry " + i + " repeats the GUID of entry " + j + " (" + entry.role() + ")");
      }
      bytes += entry.data.length;
    }
    Check.argument(bytes <= TABLE_BYTES_MAX,
        "the table would take " + bytes + " bytes, more than the bound of " + TABLE_BYTES_MAX);
    return new SnpCertificateTable(entries);
  }

  /**
   * Reads a table as the host wrote it. An empty blob, or one that starts with the terminator, is
   * an empty table (the host supplied no certificates).
   */
  public static SnpCertificateTable parse(byte[] blob) throws MalformedReportException {
    if (blob == null) {
      throw malformed("certificate table is missing");
    }
    if (blob.length > TABLE_BYTES_MAX) {
      throw malformed("certificate table is " + blob.length + " bytes, more than the bound of " + TABLE_BYTES_MAX);
    }
    if (blob.length == 0) {
      return EMPTY;
    }
    ByteBuffer in = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    List<UUID> guids = new ArrayList<>();
    List<long[]> ranges = new ArrayList<>(); // {offset, length}
    for (int index = 0; ; index++) {
      int at = index * ENTRY_BYTES;
      if (at + ENTRY_BYTES > blob.length) {
        throw malformed("certificate table has no all-zero terminating entry within its " + blob.length + " bytes"
            + " (" + index + " entries read)");
      }
      UUID guid = new UUID(in.order(ByteOrder.BIG_ENDIAN).getLong(at), in.getLong(at + 8));
      in.order(ByteOrder.LITTLE_ENDIAN);
      long offset = in.getInt(at + GUID_BYTES) & U32_MASK;
      long length = in.getInt(at + GUID_BYTES + 4) & U32_MASK;
      if (ZERO_GUID.equals(guid)) {
        if (offset != 0 || length != 0) {
          throw malformed("certificate table entry " + index + " has the all-zero GUID of the terminator but offset "
              + offset + " and length " + length);
        }
        break;
      }
      if (index == ENTRIES_MAX) {
        throw malformed("certificate table has more than " + ENTRIES_MAX + " entries");
      }
      int earlier = guids.indexOf(guid);
      if (earlier >= 0) {
        throw malformed(name(index, guid) + " repeats the GUID of entry " + earlier);
      }
      guids.add(guid);
      ranges.add(new long[] {offset, length});
    }
    long headerBytes = (long) (guids.size() + 1) * ENTRY_BYTES;
    for (int i = 0; i < guids.size(); i++) {
      long offset = ranges.get(i)[0];
      long length = ranges.get(i)[1];
      if (length == 0) {
        throw malformed(name(i, guids.get(i)) + " is empty (length 0)");
      }
      if (offset < headerBytes) {
        throw malformed(name(i, guids.get(i)) + " starts at offset " + offset + ", inside the " + headerBytes
            + "-byte table of entries");
      }
      if (offset + length > blob.length) {
        throw malformed(name(i, guids.get(i)) + " spans bytes " + offset + ".." + (offset + length)
            + ", beyond the " + blob.length + "-byte blob");
      }
    }
    List<Integer> byOffset = new ArrayList<>();
    for (int i = 0; i < guids.size(); i++) {
      byOffset.add(i);
    }
    byOffset.sort(Comparator.comparingLong(i -> ranges.get(i)[0]));
    for (int k = 1; k < byOffset.size(); k++) {
      int previous = byOffset.get(k - 1);
      int current = byOffset.get(k);
      long previousEnd = ranges.get(previous)[0] + ranges.get(previous)[1];
      if (ranges.get(current)[0] < previousEnd) {
        throw malformed(name(current, guids.get(current)) + " at offset " + ranges.get(current)[0] + " overlaps "
            + name(previous, guids.get(previous)) + ", which ends at " + previousEnd);
      }
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < guids.size(); i++) {
      int offset = (int) ranges.get(i)[0];
      entries.add(new Entry(guids.get(i), Arrays.copyOfRange(blob, offset, offset + (int) ranges.get(i)[1])));
    }
    return new SnpCertificateTable(entries);
  }

  /** The encoding: entries, the terminator, then the data of each entry in order, without padding. */
  public byte[] toByteArray() {
    int headerBytes = (entries.size() + 1) * ENTRY_BYTES;
    int total = headerBytes + entries.stream().mapToInt(e -> e.data.length).sum();
    ByteBuffer out = ByteBuffer.allocate(total);
    int cursor = headerBytes;
    for (Entry entry : entries) {
      out.order(ByteOrder.BIG_ENDIAN).putLong(entry.guid.getMostSignificantBits())
          .putLong(entry.guid.getLeastSignificantBits());
      out.order(ByteOrder.LITTLE_ENDIAN).putInt(cursor).putInt(entry.data.length);
      cursor += entry.data.length;
    }
    out.position(headerBytes);
    for (Entry entry : entries) {
      out.put(entry.data);
    }
    return out.array();
  }

  public List<Entry> entries() {
    return entries;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The data of the entry with {@code role}; empty when the host supplied none. */
  public Optional<byte[]> find(Role role) {
    return entries.stream().filter(e -> e.role() == role).findFirst().map(Entry::data);
  }

  private static String name(int index, UUID guid) {
    Role role = Role.of(guid);
    return "certificate table entry " + index + " (" + (role == Role.OTHER ? "GUID " + guid : role.name()) + ")";
  }

  private static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SnpCertificateTable that && entries.equals(that.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "SnpCertificateTable" + entries;
  }
}
