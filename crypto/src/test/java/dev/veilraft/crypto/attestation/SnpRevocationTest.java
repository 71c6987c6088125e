package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional CRL check of SNP chains, on a simulated vendor whose ARK issues CRLs as AMD KDS does. */
class SnpRevocationTest {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("revocation test code"));
  static final byte[] REPORT_DATA = ReportData.bind(Hashes.utf8("nonce"), Hashes.utf8("spki"), Hashes.utf8("kem"));
  static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  static final Instant ISSUED = Instant.parse("2026-05-01T00:00:00Z");
  static final Instant NEXT = Instant.parse("2026-07-01T00:00:00Z");

  @TempDir static Path dir;
  static SimulatedSnpVendor vendor;
  static SimulatedSnpVendor otherVendor;
  static Evidence good;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createVendorAndEvidence() throws Exception {
    vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    otherVendor = SimulatedSnpVendor.openOrCreate(dir.resolve("other-vendor"));
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor);
    good = SimulatedSnpAttester.create(chip, MEASUREMENT).attest(REPORT_DATA);
  }

  static AttestationResult verifyWith(byte[]... crls) {
    Collateral.Builder collateral = Collateral.newBuilder();
    for (byte[] crl : crls) {
      collateral.addCrls(ByteString.copyFrom(crl));
    }
    Policy policy = Policy.newBuilder().setName("crl-test").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)).build();
    return verifier.verify(good.toBuilder().setCollateral(collateral).build(), policy, REPORT_DATA, AT);
  }

  @Test
  void aCurrentCrlThatListsOtherSerialsChangesNothing() {
    // Proves a verified, current CRL of the chain's ARK that does not list its ASK leaves the evidence accepted.
    AttestationResult result = verifyWith(vendor.issueCrl(List.of(BigInteger.valueOf(42)), ISSUED, NEXT));

    assertThat(result.accepted()).as(result.toString()).isTrue();
  }

  @Test
  void anAskListedByItsArkIsRevoked() {
    // Proves an ASK named in its ARK's CRL is CERT_REVOKED, with the serial in the message.
    AttestationResult result = verifyWith(vendor.issueCrl(List.of(vendor.askSerial()), ISSUED, NEXT));

    assertThat(result.reason()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(result.detail()).contains(vendor.askSerial().toString(16)).contains("ASK");
  }

  @Test
  void aStaleOrFutureCrlProvesNothingAndIsRefused() {
    // Proves a CRL past its next update, or issued after the instant of verification, is COLLATERAL_INVALID.
    AttestationResult stale = verifyWith(vendor.issueCrl(List.of(), Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2026-02-01T00:00:00Z")));
    AttestationResult future = verifyWith(vendor.issueCrl(List.of(), NEXT, NEXT.plusSeconds(86_400)));

    assertThat(stale.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(stale.detail()).contains("stale");
    assertThat(future.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
  }

  @Test
  void aCrlNamingThisArkMustCarryItsSignature() {
    // Proves a CRL naming the chain's ARK is refused when another key or a flipped bit broke its signature.
    byte[] foreign = otherVendor.issueCrl(List.of(vendor.askSerial()), ISSUED, NEXT);
    byte[] forged = vendor.issueCrl(List.of(), ISSUED, NEXT);
    forged[forged.length - 10] ^= 1; // inside the signature

    // Both simulated vendors use the same ARK name, so the foreign CRL names this issuer and fails its signature.
    assertThat(verifyWith(foreign).reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(verifyWith(forged).reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(verifyWith(new byte[] {1, 2, 3}).detail()).contains("not a DER X.509 CRL");
  }
}
