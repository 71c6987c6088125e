package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.TcbVersion;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SnpReportTest {

  private static byte[] filled(int length, int seed) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (seed + i);
    }
    return bytes;
  }

  private static KeyPair p384() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    return generator.generateKeyPair();
  }

  @Test
  void everyFieldSurvivesEncodeThenParse() throws Exception {
    // Proves the builder and the parser agree on every offset and width of the 1184-byte layout.
    byte[] encoded = SnpReport.builder()
        .version(5).guestSvn(0xDEADBEEFL).policy(0x1234_5678_9ABC_DEF0L)
        .familyId(filled(16, 1)).imageId(filled(16, 2)).vmpl(2).signatureAlgo(1)
        .currentTcb(0x0102030405060708L).platformInfo(0x25)
        .signerInfo(true, true, SnpReport.SIGNING_KEY_VLEK)
        .reportData(filled(64, 3)).measurement(filled(48, 4)).hostData(filled(32, 5))
        .idKeyDigest(filled(48, 6)).authorKeyDigest(filled(48, 7)).reportId(filled(32, 8)).reportIdMa(filled(32, 9))
        .reportedTcb(0x1112131415161718L).cpuid(0x1A, 0x02, 0x03).chipId(filled(64, 10))
        .committedTcb(0x2122232425262728L).currentVersion(1, 55, 29).committedVersion(1, 54, 7)
        .launchTcb(0x3132333435363738L).launchMitVector(0x41L).currentMitVector(0x51L)
        .encodeUnsigned();

    SnpReport report = SnpReport.parse(encoded);

    assertThat(encoded).hasSize(SnpReport.BYTES);
    assertThat(report.version()).isEqualTo(5);
    assertThat(report.guestSvn()).isEqualTo(0xDEADBEEFL);
    assertThat(report.policy()).isEqualTo(0x1234_5678_9ABC_DEF0L);
    assertThat(report.familyId()).isEqualTo(filled(16, 1));
    assertThat(report.imageId()).isEqualTo(filled(16, 2));
    assertThat(report.vmpl()).isEqualTo(2);
    assertThat(report.signatureAlgo()).isEqualTo(1);
    assertThat(report.currentTcb()).isEqualTo(0x0102030405060708L);
    assertThat(report.platformInfo()).isEqualTo(0x25);
    assertThat(report.authorKeyEnabled()).isTrue();
    assertThat(report.maskChipKey()).isTrue();
    assertThat(report.signingKey()).isEqualTo(SnpReport.SIGNING_KEY_VLEK);
    assertThat(report.reportData()).isEqualTo(filled(64, 3));
    assertThat(report.measurement()).isEqualTo(filled(48, 4));
    assertThat(report.hostData()).isEqualTo(filled(32, 5));
    assertThat(report.idKeyDigest()).isEqualTo(filled(48, 6));
    assertThat(report.authorKeyDigest()).isEqualTo(filled(48, 7));
    assertThat(report.reportId()).isEqualTo(filled(32, 8));
    assertThat(report.reportIdMa()).isEqualTo(filled(32, 9));
    assertThat(report.reportedTcb()).isEqualTo(0x1112131415161718L);
    assertThat(report.hasCpuid()).isTrue();
    assertThat(new int[] {report.cpuidFamily(), report.cpuidModel(), report.cpuidStepping()}).containsExactly(0x1A, 2, 3);
    assertThat(report.productFromCpuid()).contains(SnpProduct.TURIN);
    assertThat(report.chipId()).isEqualTo(filled(64, 10));
    assertThat(report.committedTcb()).isEqualTo(0x2122232425262728L);
    assertThat(report.currentVersion()).containsExactly(1, 55, 29);
    assertThat(report.committedVersion()).containsExactly(1, 54, 7);
    assertThat(report.launchTcb()).isEqualTo(0x3132333435363738L);
    assertThat(report.launchMitVector()).isEqualTo(0x41L);
    assertThat(report.currentMitVector()).isEqualTo(0x51L);
    assertThat(report.toByteArray()).isEqualTo(encoded);
  }

  @Test
  void fieldsSitAtTheDocumentedOffsets() throws Exception {
    // Proves the little-endian placement against LAYOUTS.md, independent of the parser.
    byte[] encoded = SnpReport.builder().version(2).vmpl(3).policy(0x30000).reportedTcb(0x0300000000000873L)
        .measurement(filled(48, 0x40)).encodeUnsigned();

    assertThat(Arrays.copyOfRange(encoded, 0x000, 0x004)).containsExactly(2, 0, 0, 0);
    assertThat(Arrays.copyOfRange(encoded, 0x008, 0x00B)).containsExactly(0, 0, 3);
    assertThat(encoded[0x030]).isEqualTo((byte) 3);
    assertThat(Arrays.copyOfRange(encoded, 0x180, 0x188)).containsExactly(0x73, 0x08, 0, 0, 0, 0, 0, 0x03);
    assertThat(encoded[0x090]).isEqualTo((byte) 0x40);
    assertThat(SnpReport.parse(encoded).hasCpuid()).isFalse();
  }

  @Test
  void signatureIsLittleEndianOverTheFirst0x2A0Bytes() throws Exception {
    // Proves sign/verify round-trips, R and S are zero-padded to 72 bytes, and any flipped signed byte breaks it.
    KeyPair key = p384();
    byte[] signed = SnpReport.builder().version(3).measurement(filled(48, 1)).sign(key.getPrivate());
    SnpReport report = SnpReport.parse(signed);

    assertThat(report.verifySignature(key.getPublic())).isTrue();
    assertThat(Arrays.copyOfRange(report.signatureR(), 48, 72)).containsOnly(0);
    assertThat(Arrays.copyOfRange(report.signatureS(), 48, 72)).containsOnly(0);
    assertThat(Arrays.copyOfRange(signed, 0x330, SnpReport.BYTES)).containsOnly(0);

    byte[] flipped = signed.clone();
    flipped[0x29F] ^= 1;
    assertThat(SnpReport.parse(flipped).verifySignature(key.getPublic())).isFalse();
    assertThat(report.verifySignature(p384().getPublic())).isFalse();

    byte[] paddedR = signed.clone();
    paddedR[0x2A0 + 60] = 1;
    assertThat(SnpReport.parse(paddedR).verifySignature(key.getPublic())).isFalse();
  }

  @Test
  void wrongLengthIsMalformed() {
    // Proves parse names the length it got and classifies it as malformed evidence.
    assertThatThrownBy(() -> SnpReport.parse(new byte[1183]))
        .isInstanceOf(MalformedReportException.class)
        .hasMessageContaining("1184").hasMessageContaining("1183")
        .extracting(e -> ((MalformedReportException) e).reason()).isEqualTo(RejectReason.MALFORMED);
    assertThatThrownBy(() -> SnpReport.parse(new byte[1185])).isInstanceOf(MalformedReportException.class);
    assertThatThrownBy(() -> SnpReport.parse(new byte[0])).isInstanceOf(MalformedReportException.class);
    assertThatThrownBy(() -> SnpReport.parse(null)).isInstanceOf(MalformedReportException.class);
  }

  @Test
  void versionsOutsideTwoToFiveAreUnsupported() {
    // Proves version 1 (pre-release layout) and unknown future versions are refused with their own reason.
    for (int version : new int[] {0, 1, 6}) {
      byte[] encoded = SnpReport.builder().version(version).encodeUnsigned();
      assertThatThrownBy(() -> SnpReport.parse(encoded))
          .isInstanceOf(MalformedReportException.class)
          .hasMessageContaining("version " + version)
          .extracting(e -> ((MalformedReportException) e).reason())
          .isEqualTo(RejectReason.UNSUPPORTED_REPORT_VERSION);
    }
  }

  @Test
  void tcbLayoutDependsOnTheProduct() {
    // Proves Milan/Genoa and Turin decode the same raw TCB differently and encode back to it.
    long raw = LittleEndian.u64(Hashes.unhex("0300000000000873"), 0); // virtee Milan report bytes 0x180..0x187
    TcbVersion milan = TcbVersion.newBuilder().setBootloader(3).setTee(0).setSnp(8).setMicrocode(115).build();
    TcbVersion turin = TcbVersion.newBuilder().setFmc(3).setBootloader(0).setTee(0).setSnp(0).setMicrocode(115)
        .build();

    assertThat(SnpProduct.MILAN.decodeTcb(raw)).isEqualTo(milan);
    assertThat(SnpProduct.GENOA.decodeTcb(raw)).isEqualTo(milan);
    assertThat(SnpProduct.TURIN.decodeTcb(raw)).isEqualTo(turin);
    assertThat(SnpProduct.MILAN.encodeTcb(milan)).isEqualTo(raw);
    assertThat(SnpProduct.TURIN.encodeTcb(turin)).isEqualTo(raw & ~(0xFFL << 48)); // byte 6 is reserved on Turin
    assertThat(SnpProduct.TURIN.decodeTcb(SnpProduct.TURIN.encodeTcb(
        TcbVersion.newBuilder().setFmc(1).setBootloader(2).setTee(3).setSnp(4).setMicrocode(9).build())))
        .isEqualTo(TcbVersion.newBuilder().setFmc(1).setBootloader(2).setTee(3).setSnp(4).setMicrocode(9).build());
    assertThatThrownBy(() -> SnpProduct.MILAN.encodeTcb(milan.toBuilder().setFmc(1).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fmc");
    assertThatThrownBy(() -> SnpProduct.MILAN.encodeTcb(milan.toBuilder().setSnp(256).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
  }

  @Test
  void productFollowsCpuidFamilyAndModel() {
    // Proves the CPUID mapping: 0x19 model 0x0x Milan, 0x1x/0xAx Genoa, family 0x1A Turin, others unknown.
    assertThat(SnpProduct.fromCpuid(0x19, 0x01)).contains(SnpProduct.MILAN);
    assertThat(SnpProduct.fromCpuid(0x19, 0x11)).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromCpuid(0x19, 0xA0)).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromCpuid(0x1A, 0x02)).contains(SnpProduct.TURIN);
    assertThat(SnpProduct.fromCpuid(0x19, 0x21)).isEmpty();
    assertThat(SnpProduct.fromCpuid(0x17, 0x01)).isEmpty();
    assertThat(SnpProduct.fromName("CN=SEV-VLEK-Genoa, O=Advanced Micro Devices")).contains(SnpProduct.GENOA);
  }
}
