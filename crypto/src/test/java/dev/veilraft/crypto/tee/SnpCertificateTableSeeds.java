package dev.veilraft.crypto.tee;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The fuzz seeds of {@link SnpCertificateTableFuzzTest}, made by {@link SnpCertificateTable} from
 * synthetic payloads (never from vectors): a few valid shapes for the fuzzer to mutate.
 * {@code SnpCertificateTableTest} checks the committed files equal these and rewrites them when
 * run with {@code -Dveilraft.regenerateSeeds=true}.
 */
final class SnpCertificateTableSeeds {
  static final String DIRECTORY = "SnpCertificateTableFuzzTestInputs/parserThrowsOnlyMalformedReport";
  private static final int PAGE_BYTES = 4096;

  private SnpCertificateTableSeeds() {}

  static Map<String, byte[]> all() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put("vcek-ask-ark", SnpCertificateTable.of(List.of(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, payload(0x10, 48)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, payload(0x20, 64)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, payload(0x30, 64)))).toByteArray());
    seeds.put("vlek-ask-ark-crl", SnpCertificateTable.of(List.of(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VLEK, payload(0x40, 40)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, payload(0x50, 32)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, payload(0x60, 32)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.CRL, payload(0x70, 24)))).toByteArray());
    seeds.put("unknown-guid", SnpCertificateTable.of(List.of(
        new SnpCertificateTable.Entry(UUID.fromString("00112233-4455-6677-8899-aabbccddeeff"), payload(0x80, 16)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, payload(0x90, 16)))).toByteArray());
    seeds.put("terminator-only", new byte[SnpCertificateTable.ENTRY_BYTES]);
    byte[] table = seeds.get("vcek-ask-ark");
    seeds.put("page-padded", Arrays.copyOf(table, PAGE_BYTES));
    return seeds;
  }

  /** DER-looking bytes: a SEQUENCE header, then a counting pattern. */
  private static byte[] payload(int start, int length) {
    byte[] bytes = new byte[length];
    bytes[0] = 0x30;
    bytes[1] = (byte) (length - 2);
    for (int i = 2; i < length; i++) {
      bytes[i] = (byte) (start + i);
    }
    return bytes;
  }
}
