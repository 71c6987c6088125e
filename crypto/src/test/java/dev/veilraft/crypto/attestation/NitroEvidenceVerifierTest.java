package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.NitroDocumentBuilder.CertSpec;
import dev.veilraft.crypto.attestation.NitroDocumentBuilder.Pki;
import dev.veilraft.crypto.attestation.NitroDocumentBuilder.TestKey;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Nitro platform layer on synthetic documents: the builder's throwaway PKI lets these tests
 * reach every check (and break each one) in ways real documents cannot.
 */
class NitroEvidenceVerifierTest {
  static final Pki PKI = Pki.create("verifier");
  static final Pki OTHER = Pki.create("other");
  static final NitroEvidenceVerifier VERIFIER = PKI.verifier();
  static final Instant AT = NitroDocumentBuilder.TIMESTAMP;

  private static NitroDocumentBuilder builder() {
    return new NitroDocumentBuilder(PKI);
  }

  static Evidence evidence(byte[] document) {
    return Evidence.newBuilder().setPlatform(Platform.NITRO).setReport(ByteString.copyFrom(document)).build();
  }

  private static AttestationResult verify(byte[] document) {
    return VERIFIER.verifyPlatform(evidence(document), AT);
  }

  private static void assertRejected(AttestationResult result, RejectReason reason, String detailPart) {
    assertThat(result.accepted()).as(result.toString()).isFalse();
    assertThat(result.reason()).as(result.toString()).isEqualTo(reason);
    assertThat(result.detail()).contains(detailPart);
  }

  @Test
  void acceptsAWellFormedDocumentWithItsClaims() {
    // Proves a document signed by a leaf chaining to the trusted root is accepted with the claims policies judge.
    NitroDocumentBuilder builder = builder().set("nonce", new byte[] {7, 7});
    AttestationResult result = verify(builder.build());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    Claims claims = result.claims();
    assertThat(claims.platform()).isEqualTo(Platform.NITRO);
    assertThat(claims.version()).isEqualTo(1);
    assertThat(claims.signer()).isEqualTo("AWS Nitro");
    assertThat(claims.measurement()).hasSize(144).isEqualTo(Hashes.concat(NitroDocumentBuilder.pcr("verifier", 0),
        NitroDocumentBuilder.pcr("verifier", 1), NitroDocumentBuilder.pcr("verifier", 2)));
    assertThat(claims.reportData()).isEqualTo(Hashes.sha512(Hashes.utf8("user data/verifier")));
    assertThat(claims.hostData()).isEmpty();
    assertThat(claims.debug()).isFalse();
    NitroClaims nitro = (NitroClaims) claims.details();
    assertThat(nitro.moduleId()).isEqualTo("i-0123456789abcdef0-enc0123456789abcdef");
    assertThat(nitro.digest()).isEqualTo("SHA384");
    assertThat(nitro.timestamp()).isEqualTo(NitroDocumentBuilder.TIMESTAMP);
    assertThat(nitro.pcrs()).hasSize(16);
    assertThat(nitro.publicKey()).isEmpty();
    assertThat(nitro.nonce()).containsExactly(7, 7);
    assertThat(claims.describe()).containsEntry("module_id", nitro.moduleId()).containsKey("pcr15");
  }

  @Test
  void acceptsIndefiniteMapsAndTheCoseTag() {
    // Proves the encodings real documents use (indefinite maps, dstack) and RFC 9052 allows (tag 18) verify.
    assertThat(verify(builder().indefinite(true).build()).accepted()).isTrue();
    assertThat(verify(builder().tagged(true).build()).accepted()).isTrue();
    assertThat(verify(builder().indefinite(true).tagged(true).build()).accepted()).isTrue();
  }

  @Test
  void debugModeIsPcr0To2AllZero() {
    // Proves debug is claimed exactly when PCR0, PCR1 and PCR2 are all zero, as AWS debug mode sets them.
    byte[] zero = new byte[48];
    Claims debug = verify(builder().pcr(0, zero).pcr(1, zero).pcr(2, zero).build()).claims();
    assertThat(debug.debug()).isTrue();
    assertThat(debug.measurement()).isEqualTo(new byte[144]);
    assertThat(verify(builder().pcr(0, zero).pcr(1, zero).build()).claims().debug()).isFalse();
  }

  @Test
  void absentOrNullUserDataGivesEmptyReportData() {
    // Proves a document without user_data claims empty report data, which no 64-byte binding can match.
    assertThat(verify(builder().remove("user_data").build()).claims().reportData()).isEmpty();
    assertThat(verify(builder().set("user_data", null).build()).claims().reportData()).isEmpty();
  }

  @Test
  void everyFlippedPayloadByteIsRefused() {
    // Proves no single-byte change to the payload is accepted: outside the certificates it breaks the signature
    // or the CBOR; inside them it breaks the chain or the DER.
    // Four PCRs instead of sixteen keep the payload small enough to flip every byte outside the certificates.
    Map<Object, Object> pcrs = new LinkedHashMap<>();
    for (int index : new int[] {0, 1, 2, 8}) {
      pcrs.put(index, NitroDocumentBuilder.pcr("verifier", index));
    }
    NitroDocumentBuilder builder = builder().set("pcrs", pcrs).set("nonce", new byte[] {1, 2, 3, 4});
    byte[] document = builder.build();
    assertThat(verify(document).accepted()).isTrue();
    byte[] payload = builder.payload();
    int payloadAt = NitroDocumentBuilder.indexOf(document, payload);
    int[][] certRanges = certificateRanges(document, List.of(PKI.root(), PKI.intermediate(), PKI.leaf()));
    Random random = new Random(20260301L);
    for (int i = 0; i < payload.length; i++) {
      int offset = payloadAt + i;
      boolean inCertificate = inAny(certRanges, offset);
      // Every byte outside the certificates; a seeded sample inside them (each needs a fresh chain check).
      if (inCertificate && random.nextInt(10) != 0) {
        continue;
      }
      AttestationResult result = verify(NitroDocumentBuilder.flip(document, offset, 1 + random.nextInt(255)));
      Set<RejectReason> allowed = inCertificate
          ? Set.of(RejectReason.CHAIN_UNTRUSTED, RejectReason.MALFORMED)
          : Set.of(RejectReason.SIGNATURE_INVALID, RejectReason.MALFORMED);
      assertThat(result.accepted()).as("flip at payload byte " + i).isFalse();
      assertThat(result.reason()).as("flip at payload byte " + i + ": " + result).isIn(allowed);
    }
  }

  @Test
  void everyFlippedProtectedHeaderOrSignatureByteIsRefused() {
    // Proves the protected header and the signature are covered: a flip there changes the algorithm (refused as
    // unsupported), breaks the CBOR, or breaks the signature.
    byte[] document = builder().build();
    for (int offset = 1; offset <= 5; offset++) {
      for (int bit = 0; bit < 8; bit++) {
        AttestationResult result = verify(NitroDocumentBuilder.flip(document, offset, 1 << bit));
        assertThat(result.reason()).as("flip at " + offset + " bit " + bit + ": " + result)
            .isIn(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM, RejectReason.MALFORMED, RejectReason.SIGNATURE_INVALID);
      }
    }
    for (int offset = document.length - 96; offset < document.length; offset++) {
      assertRejected(verify(NitroDocumentBuilder.flip(document, offset, 0x01)), RejectReason.SIGNATURE_INVALID,
          "does not verify");
    }
  }

  @Test
  void theSignatureCoversTheProtectedHeaderBytes() {
    // Proves the same header {1: -35} re-encoded in other bytes is refused: the signature covers bytes, not meaning.
    byte[] original = builder().build();
    byte[] signature = Arrays.copyOfRange(original, original.length - 96, original.length);
    // -35 with a two-byte argument (0x39 0x0022) instead of one (0x38 0x22).
    byte[] reencoded = builder().protectedHeader(Hashes.unhex("a101390022")).signature(signature).build();
    assertRejected(verify(reencoded), RejectReason.SIGNATURE_INVALID, "does not verify");
  }

  static Stream<Arguments> unsupportedHeaders() {
    return Stream.of(
        Arguments.of("ES256", Hashes.unhex("a10126")),
        Arguments.of("ES512", Hashes.unhex("a1013823")),
        Arguments.of("ES384 with a kid", Hashes.unhex("a201382204a0")),
        Arguments.of("ES384 with crit", Hashes.unhex("a2013822028101")),
        Arguments.of("empty bstr", new byte[0]),
        Arguments.of("empty map", Hashes.unhex("a0")),
        Arguments.of("alg as text", Hashes.concat(Hashes.unhex("a10165"), Hashes.utf8("ES384"))),
        Arguments.of("label as text", Hashes.unhex("a161313822")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unsupportedHeaders")
  void refusesEveryHeaderButES384Alone(String name, byte[] header) {
    // Proves only {1: -35} is accepted: another alg, no alg, a text alg or label, or extra entries are refused.
    assertRejected(verify(builder().protectedHeader(header).build()), RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM,
        "only {1: -35} (ES384 alone) is supported");
  }

  @Test
  void swappedLeafIsRefused() {
    // Proves the signature must come from the leaf in the document: another leaf of the same issuer fails the
    // signature; a leaf of another chain fails the chain.
    TestKey otherLeafKey = TestKey.derive("verifier/second leaf", "secp384r1");
    byte[] sameIssuer = NitroDocumentBuilder.leafSpec("second-leaf", otherLeafKey, PKI.intermediateName(),
        PKI.intermediateKey()).issue();
    assertRejected(verify(builder().set("certificate", sameIssuer).build()), RejectReason.SIGNATURE_INVALID,
        "'second-leaf'");
    assertRejected(verify(builder().set("certificate", OTHER.leaf()).build()), RejectReason.CHAIN_UNTRUSTED,
        "names issuer");
  }

  @Test
  void leafWithTheRightIssuerNameButAnotherKeyIsRefused() {
    // Proves a leaf claiming the intermediate's name but signed by another key fails the chain.
    TestKey forger = TestKey.derive("forger", "secp384r1");
    byte[] forged = NitroDocumentBuilder.leafSpec("forged", PKI.leafKey(), PKI.intermediateName(), forger).issue();
    assertRejected(verify(builder().set("certificate", forged).build()), RejectReason.CHAIN_UNTRUSTED,
        "is not signed by cabundle[1]");
  }

  @Test
  void chainRootedElsewhereIsRefused() {
    // Proves a whole valid chain under another root is refused, by the test verifier and by the AWS one.
    byte[] foreign = new NitroDocumentBuilder(OTHER).build();
    assertThat(OTHER.verifier().verifyPlatform(evidence(foreign), AT).accepted()).isTrue();
    assertRejected(verify(foreign), RejectReason.CHAIN_UNTRUSTED, "is not the trusted root verifier test root");
    assertRejected(NitroEvidenceVerifier.forAws().verifyPlatform(evidence(foreign), AT), RejectReason.CHAIN_UNTRUSTED,
        "is not the trusted root AWS Nitro Enclaves Root G1");
    assertRejected(verify(builder().set("cabundle", List.of(PKI.intermediate(), PKI.root())).build()),
        RejectReason.CHAIN_UNTRUSTED, "cabundle[0]");
    assertRejected(verify(builder().set("cabundle", List.of(new byte[] {1, 2, 3})).build()),
        RejectReason.CHAIN_UNTRUSTED, "cabundle[0] (not a certificate)");
  }

  @Test
  void missingIntermediateIsRefused() {
    // Proves the leaf must be signed by the last cabundle certificate.
    assertRejected(verify(builder().set("cabundle", List.of(PKI.root())).build()), RejectReason.CHAIN_UNTRUSTED,
        "names issuer");
  }

  @Test
  void intermediateMustBeACaAllowedToIssue() {
    // Proves basic constraints, path length and key usage of the cabundle are enforced.
    String intermediateName = PKI.intermediateName();
    String rootName = "CN=verifier test root,OU=veilraft tests";
    CertSpec notCa = NitroDocumentBuilder.spec(intermediateName, PKI.intermediateKey(), rootName, PKI.rootKey(), -1);
    notCa.keyUsage = KeyUsage.keyCertSign;
    assertRejected(verify(builder().set("cabundle", List.of(PKI.root(), notCa.issue())).build()),
        RejectReason.CHAIN_UNTRUSTED, "is not a CA certificate");

    CertSpec noCertSign =
        NitroDocumentBuilder.spec(intermediateName, PKI.intermediateKey(), rootName, PKI.rootKey(), 0);
    noCertSign.keyUsage = KeyUsage.digitalSignature;
    assertRejected(verify(builder().set("cabundle", List.of(PKI.root(), noCertSign.issue())).build()),
        RejectReason.CHAIN_UNTRUSTED, "without keyCertSign");

    // root -> upper (path length 0) -> intermediate -> leaf: upper may not have a CA below it.
    TestKey upperKey = TestKey.derive("verifier/upper", "secp384r1");
    String upperName = "CN=upper,OU=veilraft tests";
    byte[] upper = NitroDocumentBuilder.spec(upperName, upperKey, rootName, PKI.rootKey(), 0).issue();
    byte[] lower = NitroDocumentBuilder.spec(intermediateName, PKI.intermediateKey(), upperName, upperKey, 0).issue();
    assertRejected(verify(builder().set("cabundle", List.of(PKI.root(), upper, lower)).build()),
        RejectReason.CHAIN_UNTRUSTED, "allows 0 CA certificates below it, but 1 follow");
    byte[] upperAllowing = NitroDocumentBuilder.spec(upperName, upperKey, rootName, PKI.rootKey(), 1).issue();
    assertThat(verify(builder().set("cabundle", List.of(PKI.root(), upperAllowing, lower)).build()).accepted())
        .isTrue();
  }

  @Test
  void leafMustBeP384AndMaySign() {
    // Proves a P-256 leaf and a leaf whose key usage excludes digitalSignature are refused.
    TestKey p256 = TestKey.derive("verifier/p256 leaf", "secp256r1");
    byte[] p256Leaf =
        NitroDocumentBuilder.leafSpec("p256", p256, PKI.intermediateName(), PKI.intermediateKey()).issue();
    assertRejected(verify(builder().set("certificate", p256Leaf).build()), RejectReason.CHAIN_UNTRUSTED,
        "key must be EC P-384");
    CertSpec noSign = NitroDocumentBuilder.leafSpec("no-sign", PKI.leafKey(), PKI.intermediateName(),
        PKI.intermediateKey());
    noSign.keyUsage = KeyUsage.keyEncipherment;
    assertRejected(verify(builder().set("certificate", noSign.issue()).build()), RejectReason.CHAIN_UNTRUSTED,
        "without digitalSignature");
  }

  @Test
  void everyCertificateMustBeValidAtTheInstant() {
    // Proves validity is judged at the caller's instant for the leaf and for the cabundle.
    byte[] document = builder().build();
    assertThat(VERIFIER.verifyPlatform(evidence(document), NitroDocumentBuilder.LEAF_NOT_AFTER).accepted()).isTrue();
    assertRejected(VERIFIER.verifyPlatform(evidence(document), NitroDocumentBuilder.LEAF_NOT_AFTER.plusSeconds(1)),
        RejectReason.CERT_EXPIRED, "leaf certificate 'verifier-leaf' expired at");
    assertRejected(VERIFIER.verifyPlatform(evidence(document), NitroDocumentBuilder.NOT_BEFORE.minusSeconds(1)),
        RejectReason.CERT_EXPIRED, "is not valid before");

    CertSpec shortLived = NitroDocumentBuilder.spec(PKI.intermediateName(), PKI.intermediateKey(),
        "CN=verifier test root,OU=veilraft tests", PKI.rootKey(), 0);
    shortLived.notAfter = NitroDocumentBuilder.NOT_BEFORE.plusSeconds(60);
    assertRejected(verify(builder().set("cabundle", List.of(PKI.root(), shortLived.issue())).build()),
        RejectReason.CERT_EXPIRED, "cabundle[1] 'verifier test intermediate' expired at");
  }

  @Test
  void signatureMustBeTheLeafsOverThisDocument() {
    // Proves a signature by another key, an all-zero signature and swapped r and s are refused.
    assertRejected(verify(builder().signWith(PKI.intermediateKey()).build()), RejectReason.SIGNATURE_INVALID,
        "'verifier-leaf'");
    assertRejected(verify(builder().signature(new byte[96]).build()), RejectReason.SIGNATURE_INVALID,
        "does not verify");
    byte[] good = builder().build();
    byte[] sig = Arrays.copyOfRange(good, good.length - 96, good.length);
    byte[] swapped = Hashes.concat(Arrays.copyOfRange(sig, 48, 96), Arrays.copyOfRange(sig, 0, 48));
    assertRejected(verify(builder().signature(swapped).build()), RejectReason.SIGNATURE_INVALID, "does not verify");
  }

  @Test
  void refusesEvidenceTheVerifierDoesNotCheck() {
    // Proves the evidence wrapper is checked before the document: platform, unused fields, size.
    byte[] document = builder().build();
    assertRejected(VERIFIER.verifyPlatform(null, AT), RejectReason.MALFORMED, "no evidence");
    assertRejected(VERIFIER.verifyPlatform(evidence(document).toBuilder().setPlatform(Platform.SEV_SNP).build(), AT),
        RejectReason.PLATFORM_NOT_SUPPORTED, "got SEV_SNP");
    assertRejected(VERIFIER.verifyPlatform(evidence(document).toBuilder().addCertChain(ByteString.copyFrom(PKI.root()))
        .build(), AT), RejectReason.MALFORMED, "cert_chain must be empty (got 1 certificates)");
    assertRejected(verify(new byte[0]), RejectReason.MALFORMED, "0 bytes");
    assertRejected(verify(new byte[NitroDocument.DOCUMENT_BYTES_MAX + 1]), RejectReason.MALFORMED,
        (NitroDocument.DOCUMENT_BYTES_MAX + 1) + " bytes");
  }

  @Test
  void policyLayerJudgesTheClaims() {
    // Proves the claims meet PolicyChecks as intended: measurement PCR0||1||2, binding to user_data, debug refused.
    byte[] userData = Hashes.sha512(Hashes.utf8("user data/verifier"));
    Claims claims = verify(builder().build()).claims();
    Policy allowing = Policy.newBuilder().setName("nitro-test").addAllowedMeasurements(
        ByteString.copyFrom(claims.measurement())).build();
    assertThat(PolicyChecks.check(claims, allowing, userData).accepted()).isTrue();
    assertRejected(PolicyChecks.check(claims, Policy.newBuilder().setName("empty").build(), userData),
        RejectReason.MEASUREMENT_NOT_ALLOWED, "PCR0||PCR1||PCR2");
    assertRejected(PolicyChecks.check(claims, allowing, Hashes.sha512(Hashes.utf8("other"))),
        RejectReason.REPORT_DATA_MISMATCH, "differs from the expected");

    byte[] zero = new byte[48];
    Claims debug = verify(builder().pcr(0, zero).pcr(1, zero).pcr(2, zero).build()).claims();
    Policy allowingDebugMeasurement = Policy.newBuilder().setName("nitro-test")
        .addAllowedMeasurements(ByteString.copyFrom(new byte[144])).build();
    assertRejected(PolicyChecks.check(debug, allowingDebugMeasurement, userData), RejectReason.DEBUG_ENABLED,
        "debug mode");
    assertThat(PolicyChecks.check(debug, allowingDebugMeasurement.toBuilder().setAllowDebug(true).build(), userData)
        .accepted()).isTrue();
  }

  /** [start, end) of each certificate's bytes in the document. */
  private static int[][] certificateRanges(byte[] document, List<byte[]> certs) {
    int[][] ranges = new int[certs.size()][];
    for (int i = 0; i < certs.size(); i++) {
      int at = NitroDocumentBuilder.indexOf(document, certs.get(i));
      assertThat(at).isPositive();
      ranges[i] = new int[] {at, at + certs.get(i).length};
    }
    return ranges;
  }

  private static boolean inAny(int[][] ranges, int offset) {
    for (int[] range : ranges) {
      if (offset >= range[0] && offset < range[1]) {
        return true;
      }
    }
    return false;
  }
}
