package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.math.BigInteger;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The TDX platform layer on synthetic quotes under a throwaway PKI ({@link TdxTestPki}), covering
 * the cases the real vectors cannot: other roots, revocation, swapped keys, chains supplied
 * beside the quote.
 */
class TdxEvidenceVerifierTest {
  static final Instant AT = TdxTestPki.VALID_AT;
  static final TdxTestPki PKI = TdxTestPki.standard();
  static final TdxEvidenceVerifier VERIFIER = PKI.verifier();

  static AttestationResult verify(Evidence evidence) {
    return VERIFIER.verifyPlatform(evidence, AT);
  }

  static Evidence withReport(Evidence evidence, byte[] report) {
    return evidence.toBuilder().setReport(ByteString.copyFrom(report)).build();
  }

  static Evidence withCrls(Evidence evidence, byte[]... crls) {
    Collateral.Builder collateral = evidence.getCollateral().toBuilder();
    for (byte[] crl : crls) {
      collateral.addCrls(ByteString.copyFrom(crl));
    }
    return evidence.toBuilder().setCollateral(collateral).build();
  }

  static byte[] flip(byte[] bytes, int offset) {
    byte[] copy = bytes.clone();
    copy[offset] ^= 0x01;
    return copy;
  }

  @Test
  void builtQuotesVerifyWithTheirClaims() {
    // Proves v4, v5/TDX 1.0 and v5/TDX 1.5 quotes under a pinned root are accepted with the claims they were built with.
    for (TdxQuoteBuilder builder : new TdxQuoteBuilder[] {new TdxQuoteBuilder(), new TdxQuoteBuilder().version(5),
        new TdxQuoteBuilder().tdx15()}) {
      AttestationResult result = verify(builder.evidence());

      assertThat(result.accepted()).as(result.toString()).isTrue();
      Claims claims = result.claims();
      TdxClaims tdx = (TdxClaims) claims.details();
      assertThat(claims.platform()).isEqualTo(Platform.TDX);
      assertThat(claims.signer()).isEqualTo("PCK");
      assertThat(claims.measurement()).isEqualTo(builder.measurement());
      assertThat(claims.reportData()).isEqualTo(builder.reportData());
      assertThat(claims.hostData()).isEqualTo(tdx.mrConfigId()).hasSize(48);
      assertThat(claims.debug()).isFalse();
      assertThat(tdx.fmspc()).isEqualTo(TdxTestPki.FMSPC);
      assertThat(tdx.tcbStatus()).isEmpty();
      assertThat(tdx.advisoryIds()).isEmpty();
    }
  }

  @Test
  void aFlippedHeaderOrBodyByteIsASignatureFailure() {
    // Proves header, body and TEE_TCB_SVN2 are covered by the quote signature, and the v5 body descriptor by the parser.
    byte[] v5 = new TdxQuoteBuilder().tdx15().build();
    Evidence base = new TdxQuoteBuilder().evidence();
    int body = TdxQuote.HEADER_BYTES + TdxQuote.V5_BODY_DESCRIPTOR_BYTES;
    for (int offset : new int[] {0x1C, body + TdxQuote.BODY_MRTD, body + TdxQuote.BODY_REPORT_DATA,
        body + TdxQuote.BODY_TEE_TCB_SVN2}) {
      AttestationResult result = verify(withReport(base, flip(v5, offset)));

      assertThat(result.reason()).as("offset %d: %s", offset, result).isEqualTo(RejectReason.SIGNATURE_INVALID);
    }
    // Body type 3 -> 2 no longer fits the 648-byte size.
    assertThat(verify(withReport(base, flip(v5, TdxQuote.HEADER_BYTES))).reason()).isEqualTo(RejectReason.MALFORMED);
  }

  @Test
  void aFlippedQeReportOrQeAuthByteIsRefused() {
    // Proves the QE report is signed by the PCK (SIGNATURE_INVALID) and the QE auth data is bound into it.
    byte[] quote = new TdxQuoteBuilder().build();
    Evidence base = new TdxQuoteBuilder().evidence();

    AttestationResult qeReport = verify(withReport(base, flip(quote, TdxQuoteTest.QE_REPORT + 0x40)));
    AttestationResult qeAuth = verify(withReport(base, flip(quote, TdxQuoteTest.QE_AUTH_SIZE + 2)));

    assertThat(qeReport.reason()).as(qeReport.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(qeReport.detail()).contains("QE report signature");
    assertThat(qeAuth.reason()).as(qeAuth.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(qeAuth.detail()).contains("did not vouch");
  }

  @Test
  void anAttestationKeyTheQeDidNotVouchForIsRefused() {
    // Proves a quote re-signed with a substituted attestation key (valid signature, genuine QE report) fails the binding.
    byte[] quote = new TdxQuoteBuilder().build();
    TdxTestPki.Key attacker = TdxTestPki.Key.of("attacker");
    int signature = TdxQuoteTest.SIGNED_DATA_LENGTH + 4;
    byte[] signed = java.util.Arrays.copyOf(quote, TdxQuoteTest.SIGNED_DATA_LENGTH);
    System.arraycopy(attacker.signRaw(signed), 0, quote, signature, 64);
    System.arraycopy(attacker.rawPublic(), 0, quote, signature + 64, 64);

    AttestationResult result = verify(withReport(new TdxQuoteBuilder().evidence(), quote));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("did not vouch for this attestation key");
  }

  @Test
  void aChainUnderAnotherRootIsUntrusted() {
    // Proves a structurally perfect quote whose PCK chain ends in a root other than the pinned one is CHAIN_UNTRUSTED.
    AttestationResult result = verify(new TdxQuoteBuilder().pki(TdxTestPki.of("other")).evidence());

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(result.detail()).contains("not the trusted root");
  }

  @Test
  void onlyIntelsTdQuotingEnclaveOutOfDebugModeMayVouchForTheAttestationKey() {
    // Proves a PCK-signed QE report from another enclave (signer or product) or from a debug-mode QE is
    // CHAIN_UNTRUSTED, with or without QE identity collateral: a host enclave could otherwise sign any quote.
    byte[] attributes = TdxQuoteBuilder.QE_ATTRIBUTES.clone();
    Evidence foreignSigner = new TdxQuoteBuilder().qeIdentity(new byte[32], TdxQuoteBuilder.QE_ISV_PROD_ID, attributes)
        .evidence();
    Evidence otherProduct = new TdxQuoteBuilder().qeIdentity(TdxQuoteBuilder.QE_MR_SIGNER, 1, attributes).evidence();
    byte[] debug = attributes.clone();
    debug[0] |= 0x02;
    Evidence debugQe = new TdxQuoteBuilder().qeIdentity(TdxQuoteBuilder.QE_MR_SIGNER, TdxQuoteBuilder.QE_ISV_PROD_ID,
        debug).evidence();

    assertThat(verify(foreignSigner).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(foreignSigner).detail()).contains("not Intel's TD quoting enclave");
    assertThat(verify(otherProduct).detail()).contains("ISVPRODID 1");
    assertThat(verify(debugQe).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(debugQe).detail()).contains("debug mode");
  }

  @Test
  void aChainWithoutItsRootIsUntrusted() {
    // Proves a two-certificate chain (root omitted) is CHAIN_UNTRUSTED: only the root's fingerprint is pinned, so the
    // chain must carry the root itself, as every real quote does.
    TdxQuoteBuilder ours = new TdxQuoteBuilder().withoutPemChain();
    Evidence rootless = ours.evidence().toBuilder().addAllCertChain(ours.derChain().subList(0, 2)).build();

    assertThat(verify(rootless).reason()).as(verify(rootless).toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(rootless).detail()).contains("no root certificate");
  }

  @Test
  void aQuoteWithoutAPemChainUsesTheSuppliedChainOrIsUntrusted() {
    // Proves Evidence.cert_chain stands in for a missing type-5 chain, and that without either nothing is trusted.
    TdxQuoteBuilder builder = new TdxQuoteBuilder().withoutPemChain();
    Evidence bare = builder.evidence();
    Evidence supplied = bare.toBuilder().addAllCertChain(builder.derChain()).build();

    assertThat(verify(supplied).accepted()).as(verify(supplied).toString()).isTrue();
    assertThat(verify(bare).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(bare).detail()).contains("certification data type 3");
  }

  @Test
  void theChainIsJudgedAtTheGivenInstant() {
    // Proves verification after the PCK leaf expired, or before it was issued, is CERT_EXPIRED naming the leaf.
    Evidence evidence = new TdxQuoteBuilder().evidence();

    AttestationResult after = VERIFIER.verifyPlatform(evidence, TdxTestPki.LEAF_NOT_AFTER.plusSeconds(1));
    AttestationResult before = VERIFIER.verifyPlatform(evidence, TdxTestPki.NOT_BEFORE.minusSeconds(1));

    assertThat(after.reason()).as(after.toString()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(after.detail()).contains("PCK leaf").contains("expired at 2031-01-01");
    assertThat(before.reason()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(before.detail()).contains("not valid before");
  }

  @Test
  void crlsOfTheChainRevokeTheLeafOrTheCa() {
    // Proves a verified PCK CA CRL listing the leaf, or a root CRL listing the PCK CA, is CERT_REVOKED; a clean CRL passes.
    Evidence evidence = new TdxQuoteBuilder().evidence();
    Instant thisUpdate = AT.minusSeconds(86_400);
    Instant nextUpdate = AT.plusSeconds(86_400);
    byte[] caCrlRevokingLeaf = PKI.crl(false, thisUpdate, nextUpdate, PKI.leaf.getSerialNumber());
    byte[] rootCrlRevokingCa = PKI.crl(true, thisUpdate, nextUpdate, PKI.ca.getSerialNumber());
    byte[] cleanCrl = PKI.crl(false, thisUpdate, nextUpdate, BigInteger.valueOf(999));

    AttestationResult leaf = verify(withCrls(evidence, caCrlRevokingLeaf));
    AttestationResult ca = verify(withCrls(evidence, cleanCrl, rootCrlRevokingCa));
    AttestationResult clean = verify(withCrls(evidence, cleanCrl, PKI.crl(true, thisUpdate, nextUpdate)));

    assertThat(leaf.reason()).as(leaf.toString()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(leaf.detail()).contains("PCK leaf").contains("serial 3");
    assertThat(ca.reason()).as(ca.toString()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(ca.detail()).contains("PCK CA");
    assertThat(clean.accepted()).as(clean.toString()).isTrue();
  }

  @Test
  void crlsThatDoNotVerifyAreRefusedAndForeignOnesIgnored() {
    // Proves a CRL naming a CA of the chain but signed by another key, a stale one, or garbage is COLLATERAL_INVALID; another issuer's CRL is ignored.
    Evidence evidence = new TdxQuoteBuilder().evidence();
    TdxTestPki other = TdxTestPki.of("other");
    Instant thisUpdate = AT.minusSeconds(86_400);
    // The other PKI's CA and root carry the same names as ours, so their CRLs claim our CA and root as issuers.
    byte[] forgedCa = other.crl(false, thisUpdate, AT.plusSeconds(86_400), PKI.leaf.getSerialNumber());
    byte[] forgedRoot = other.crl(true, thisUpdate, AT.plusSeconds(86_400), PKI.ca.getSerialNumber());
    byte[] foreign = PKI.foreignCrl(thisUpdate, AT.plusSeconds(86_400), PKI.leaf.getSerialNumber());
    byte[] stale = PKI.crl(false, thisUpdate, AT.minusSeconds(1));

    assertThat(verify(withCrls(evidence, forgedCa)).reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(verify(withCrls(evidence, forgedCa)).detail()).contains("not signed by that CA");
    assertThat(verify(withCrls(evidence, forgedRoot)).reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(verify(withCrls(evidence, stale)).detail()).contains("stale");
    assertThat(verify(withCrls(evidence, new byte[] {0x30, 0x03, 1, 2, 3})).reason())
        .isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(verify(withCrls(evidence, foreign)).accepted()).isTrue();
  }

  @Test
  void aRootCrlCanRevokeTheCollateralSigningCertificate() {
    // Proves the TCB signing certificate is checked against the root's CRL too, so revoked collateral signers are refused.
    Evidence evidence = new TdxQuoteBuilder().evidence(new TdxCollateralBuilder().collateral());
    byte[] rootCrl = PKI.crl(true, AT.minusSeconds(60), AT.plusSeconds(60), PKI.tcbSigning.getSerialNumber());

    AttestationResult result = verify(withCrls(evidence, rootCrl));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(result.detail()).contains("TCB signing");
  }

  @Test
  void theDebugAttributeReachesThePolicyLayer() {
    // Proves TDATTRIBUTES bit 0 sets Claims.debug, which a policy listing the measurement refuses as DEBUG_ENABLED.
    TdxQuoteBuilder builder = new TdxQuoteBuilder().tdAttributes(0x10000001L);
    Claims claims = verify(builder.evidence()).claims();
    Policy policy = Policy.newBuilder().setName("prod")
        .addAllowedMeasurements(ByteString.copyFrom(builder.measurement())).build();

    AttestationResult refused = PolicyChecks.check(claims, policy, builder.reportData());
    AttestationResult allowed = PolicyChecks.check(claims, policy.toBuilder().setAllowDebug(true).build(),
        builder.reportData());

    assertThat(claims.debug()).isTrue();
    assertThat(refused.reason()).isEqualTo(RejectReason.DEBUG_ENABLED);
    assertThat(allowed.accepted()).as(allowed.toString()).isTrue();
  }

  @Test
  void otherPlatformsAndOversizedReportsAreRefusedUpFront() {
    // Proves non-TDX evidence is PLATFORM_NOT_SUPPORTED and a report over the bound is MALFORMED before it is copied.
    Evidence evidence = new TdxQuoteBuilder().evidence();

    assertThat(verify(evidence.toBuilder().setPlatform(Platform.SEV_SNP).build()).reason())
        .isEqualTo(RejectReason.PLATFORM_NOT_SUPPORTED);
    assertThat(verify(withReport(evidence, new byte[TdxQuote.QUOTE_BYTES_MAX + 1])).reason())
        .isEqualTo(RejectReason.MALFORMED);
    assertThat(verify(null).reason()).isEqualTo(RejectReason.MALFORMED);
    assertThat(Hashes.hex(TdxEvidenceVerifier.forIntel().anchor().rootSha256()))
        .isEqualTo(PinnedRoot.INTEL_SGX_ROOT_SHA256);
  }
}
