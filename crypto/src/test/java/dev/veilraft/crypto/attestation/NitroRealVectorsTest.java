package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real AWS Nitro Enclaves attestation documents from shared/vectors (MANIFEST.md section 4): the
 * five valid ones, verified through {@link AttestationVerifier} at their own timestamps because
 * AWS leaf certificates live only three hours. Expected values are copied from the MANIFEST.
 */
class NitroRealVectorsTest {
  static final AttestationVerifier verifier = new AttestationVerifier();
  static final String ZERO_PCR = "00".repeat(48);

  /** How a vector file holds its document. */
  enum Container { RAW, BASE64, DSTACK_SCALE }

  record Vector(String name, String file, Container container, String moduleId, long timestampMs, String pcr0,
      boolean debug) {
    @Override
    public String toString() {
      return name;
    }

    byte[] document() throws IOException {
      byte[] bytes = SharedVectors.read(file);
      return switch (container) {
        case RAW -> bytes;
        case BASE64 -> Base64.getMimeDecoder().decode(new String(bytes, StandardCharsets.US_ASCII).trim());
        case DSTACK_SCALE -> SharedVectors.dstackCose(bytes);
      };
    }

    Evidence evidence() throws IOException {
      return NitroRealVectorsTest.evidence(document());
    }

    Instant timestamp() {
      return Instant.ofEpochMilli(timestampMs);
    }
  }

  static Evidence evidence(byte[] document) {
    return Evidence.newBuilder().setPlatform(Platform.NITRO).setReport(ByteString.copyFrom(document)).build();
  }

  static final Vector EVERVAULT = new Vector("evervault valid", "nitro/evervault/valid-attestation-doc-bytes",
      Container.RAW, "i-020b6af9246d90e92-enc0183d09086c24190", 1665651482136L,
      "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf150142d8b", false);
  static final Vector EVERVAULT_DEBUG = new Vector("evervault debug mode",
      "nitro/evervault/debug-mode-attestation-doc-bytes", Container.RAW, "i-03ad7cdb817437eeb-enc0183cc7569b3f6e1",
      1665582606081L, ZERO_PCR, true);
  static final Vector EVERVAULT_BASE64 = new Vector("evervault base64 (debug)",
      "nitro/evervault/valid-attestation-doc-base64", Container.BASE64, "i-0918f6c55e3b61d89-enc018aa8b8e2285d13",
      1695049410860L, ZERO_PCR, true);
  static final Vector DSTACK = new Vector("dstack (indefinite maps)",
      "nitro/dstack/dstack-attest_nitro_attestation.bin", Container.DSTACK_SCALE,
      "i-0827e799ec9232d44-enc019b5640fdf630d6", 1766678659346L,
      "eb7d0dab08ff41546d7e5659aee883af7b32bb2e58e46815b719f9f7bfae7b880188a10d86317e6509923740526cf74a", false);
  static final Vector DSTACK_DEBUG = new Vector("dstack debug (indefinite maps)",
      "nitro/dstack/dstack-attest_nitro_attestation_dbg.bin", Container.DSTACK_SCALE,
      "i-0fd3fdaad4e904e69-enc019b54988b2d89ba", 1766650846577L, ZERO_PCR, true);

  static Stream<Vector> validVectors() {
    return Stream.of(EVERVAULT, EVERVAULT_DEBUG, EVERVAULT_BASE64, DSTACK, DSTACK_DEBUG);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void verifiesAtItsOwnTimestamp(Vector vector) throws Exception {
    // Proves every valid real document passes the platform layer at the instant its own timestamp names.
    byte[] document = vector.document();
    Instant at = NitroEvidenceVerifier.documentTimestamp(document);
    assertThat(at).isEqualTo(vector.timestamp());

    AttestationResult result = verifier.verifyPlatform(evidence(document), at);
    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(NitroEvidenceVerifier.forAws().verifyPlatform(evidence(document), at).accepted()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void failsOnceTheLeafHasExpired(Vector vector) throws Exception {
    // Proves each real document is refused as expired one second after its three-hour leaf certificate ends.
    byte[] document = vector.document();
    X509Certificate leaf = Certificates.parse(NitroDocument.parse(document).certificate(), "leaf");
    Instant expiry = leaf.getNotAfter().toInstant();
    assertThat(expiry).isBetween(vector.timestamp(), vector.timestamp().plusSeconds(3 * 3600 + 60));

    assertThat(verifier.verifyPlatform(evidence(document), expiry).accepted()).isTrue();
    AttestationResult result = verifier.verifyPlatform(evidence(document), expiry.plusSeconds(1));
    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(result.detail()).contains("leaf certificate", vector.moduleId(), "expired at " + expiry);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void claimsMatchTheManifest(Vector vector) throws Exception {
    // Proves the decoded module_id, PCR0, timestamp and debug flag are the MANIFEST's values.
    Claims claims = verifier.verifyPlatform(vector.evidence(), vector.timestamp()).claims();
    NitroClaims nitro = (NitroClaims) claims.details();

    assertThat(nitro.moduleId()).isEqualTo(vector.moduleId());
    assertThat(nitro.timestamp()).isEqualTo(vector.timestamp());
    assertThat(nitro.digest()).isEqualTo("SHA384");
    assertThat(nitro.pcrs()).hasSize(16);
    assertThat(Hashes.hex(nitro.pcrs().get(0))).isEqualTo(vector.pcr0());
    assertThat(Hashes.hex(claims.measurement())).startsWith(vector.pcr0()).hasSize(2 * 144);
    assertThat(claims.debug()).isEqualTo(vector.debug());
    assertThat(claims.platform()).isEqualTo(Platform.NITRO);
    assertThat(claims.signer()).isEqualTo("AWS Nitro");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void thePlatformInstanceIdIsTheModuleId(Vector vector) throws Exception {
    // Proves a Nitro document's platform instance id is the UTF-8 of its module_id (the MANIFEST's value).
    Claims claims = verifier.verifyPlatform(vector.evidence(), vector.timestamp()).claims();

    assertThat(new String(claims.platformInstanceId(), StandardCharsets.UTF_8)).isEqualTo(vector.moduleId());
  }

  @Test
  void decodesTheOptionalFieldsAsListed() throws Exception {
    // Proves public_key, user_data and nonce decode as the MANIFEST lists them, null ones as empty.
    NitroClaims debug = (NitroClaims) verifier.verifyPlatform(EVERVAULT_DEBUG.evidence(), EVERVAULT_DEBUG.timestamp())
        .claims().details();
    assertThat(new String(debug.userData(), StandardCharsets.US_ASCII)).isEqualTo("hello, world!");
    assertThat(new String(debug.publicKey(), StandardCharsets.US_ASCII)).isEqualTo("my super secret key");
    assertThat(debug.nonce()).isEmpty();

    Claims evervault = verifier.verifyPlatform(EVERVAULT.evidence(), EVERVAULT.timestamp()).claims();
    assertThat(evervault.reportData()).isEmpty();
    assertThat(Hashes.hex(((NitroClaims) evervault.details()).nonce())).startsWith("cb3dc2eb76c0c1344adf10cc");
    assertThat(Hashes.hex(evervault.measurement())).isEqualTo(EVERVAULT.pcr0()
        + "bcdf05fefccaa8e55bf2c8d6dee9e79bbff31e34bf28a99aa19e6b29c37ee80b214a414b7607236edf26fcb78654e63f"
        + "d8f114da658de5481f8d9ec73907feb553560787522f705c92d7d96beed8e15e2aa611984e098c576832c292e8dc469a");
  }

  @Test
  void debugDocumentPassesThePlatformButNotThePolicy() throws Exception {
    // Proves the debug-mode document is genuine (platform layer) yet refused by a policy as DEBUG_ENABLED.
    Evidence evidence = EVERVAULT_DEBUG.evidence();
    AttestationResult platform = verifier.verifyPlatform(evidence, EVERVAULT_DEBUG.timestamp());
    assertThat(platform.accepted()).isTrue();
    assertThat(platform.claims().debug()).isTrue();

    Policy policy = Policy.newBuilder().setName("nitro-real").addAllowedMeasurements(ByteString.copyFrom(new byte[144]))
        .build();
    AttestationResult result =
        verifier.verify(evidence, policy, new byte[ReportData.BYTES], EVERVAULT_DEBUG.timestamp());
    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.DEBUG_ENABLED);
    assertThat(result.claims()).isNotNull();
  }

  @Test
  void policyJudgesMeasurementAndBinding() throws Exception {
    // Proves a real non-debug document meets a policy listing its PCR0||PCR1||PCR2 only with the right report data.
    byte[] measurement = Hashes.unhex(DSTACK.pcr0()
        + "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa"
        + "d7b0a76788c1be24898bd148117ea1239578ba0e72f5d87a33a6c6476026675b6f996940f062e0e3f0b5edd2ddf78811");
    // user_data = SHA-256("") then 32 zero bytes (MANIFEST).
    byte[] userData = Hashes.unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        + "00".repeat(32));
    Policy policy = Policy.newBuilder().setName("nitro-real").addAllowedMeasurements(ByteString.copyFrom(measurement))
        .build();
    Evidence evidence = DSTACK.evidence();
    Instant at = DSTACK.timestamp();

    AttestationResult accepted = verifier.verify(evidence, policy, userData, at);
    assertThat(accepted.accepted()).as(accepted.toString()).isTrue();

    byte[] otherData = userData.clone();
    otherData[63] ^= 1;
    AttestationResult mismatch = verifier.verify(evidence, policy, otherData, at);
    assertThat(mismatch.reason()).as(mismatch.toString()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);

    Policy other = Policy.newBuilder().setName("other").addAllowedMeasurements(ByteString.copyFrom(new byte[144]))
        .build();
    AttestationResult notAllowed = verifier.verify(evidence, other, userData, at);
    assertThat(notAllowed.reason()).as(notAllowed.toString()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(notAllowed.detail()).contains("PCR0||PCR1||PCR2", "eb7d0dab08ff4154");

    // The evervault document has no user_data, so no binding can match it.
    Policy evervault = Policy.newBuilder().setName("evervault").addAllowedMeasurements(ByteString.copyFrom(
        verifier.verifyPlatform(EVERVAULT.evidence(), EVERVAULT.timestamp()).claims().measurement())).build();
    AttestationResult unbound = verifier.verify(EVERVAULT.evidence(), evervault, userData, EVERVAULT.timestamp());
    assertThat(unbound.reason()).as(unbound.toString()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void alteredRealDocumentsAreRefused() throws Exception {
    // Proves changing a PCR, the signature or the leaf of a real document is refused with the specific reason.
    byte[] document = EVERVAULT.document();
    Instant at = EVERVAULT.timestamp();
    int pcr0 = NitroDocumentBuilder.indexOf(document, Hashes.unhex(EVERVAULT.pcr0()));
    assertThat(pcr0).isPositive();
    AttestationResult changedPcr = verifier.verifyPlatform(evidence(NitroDocumentBuilder.flip(document, pcr0, 1)), at);
    assertThat(changedPcr.reason()).as(changedPcr.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);

    AttestationResult changedSignature = verifier.verifyPlatform(
        evidence(NitroDocumentBuilder.flip(document, document.length - 1, 1)), at);
    assertThat(changedSignature.reason()).isEqualTo(RejectReason.SIGNATURE_INVALID);

    // The debug document's leaf has the same length, so it can replace this one in place.
    byte[] leaf = NitroDocument.parse(document).certificate();
    byte[] otherLeaf = NitroDocument.parse(EVERVAULT_DEBUG.document()).certificate();
    assertThat(otherLeaf).hasSameSizeAs(leaf);
    byte[] swapped = document.clone();
    System.arraycopy(otherLeaf, 0, swapped, NitroDocumentBuilder.indexOf(document, leaf), leaf.length);
    AttestationResult swappedLeaf = verifier.verifyPlatform(evidence(swapped), at);
    assertThat(swappedLeaf.reason()).as(swappedLeaf.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
  }

  @Test
  void dstackDerivedFilesKeepTheirContainerTail() throws Exception {
    // Proves the MANIFEST's derived .cose files are the COSE document followed by dstack's trailing SCALE fields,
    // which the strict parser refuses as trailing bytes; the exact COSE slice verifies.
    byte[] derived = SharedVectors.read("nitro/dstack/derived/dstack-attest_nitro_attestation.cose");
    byte[] cose = DSTACK.document();
    assertThat(derived.length).isGreaterThan(cose.length);
    assertThat(Arrays.copyOf(derived, cose.length)).isEqualTo(cose);
    AttestationResult result = verifier.verifyPlatform(evidence(derived), DSTACK.timestamp());
    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.MALFORMED);
    assertThat(result.detail()).contains("trailing bytes");
  }
}
