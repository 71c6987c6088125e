package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A vendor root certificate pinned by the SHA-256 of its DER: Intel's SGX Root CA for TDX and
 * AWS's Nitro Enclaves Root G1 for Nitro (AMD's roots are {@link SnpTrustAnchor}s). As for AMD,
 * evidence carries its root (TDX quotes in their PCK chain, Nitro documents as cabundle[0], the
 * PCS signing chain as its last certificate) and only the fingerprint lives in the code: pinning
 * the exact bytes, not a name or a key, means a look-alike root with the same subject is never
 * trusted, and no vendor certificate needs to ship with veilraft. Immutable.
 */
public final class PinnedRoot {
  /** Intel SGX Root CA (ECDSA P-256, serial 22650cd6..., 2018-05-21..2049-12-31), as Intel's PCS publishes it. */
  static final String INTEL_SGX_ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
  /** AWS Nitro Enclaves Root G1 (CN=aws.nitro-enclaves, ECDSA P-384, 2019-10-28..2049-10-28), as AWS publishes it. */
  static final String AWS_NITRO_ROOT_G1_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";
  private static final int SHA256_BYTES = 32;
  private static final PinnedRoot INTEL = new PinnedRoot("Intel SGX Root CA", Hashes.unhex(INTEL_SGX_ROOT_SHA256));
  private static final PinnedRoot AWS = new PinnedRoot("AWS Nitro Enclaves Root G1",
      Hashes.unhex(AWS_NITRO_ROOT_G1_SHA256));

  private final String name;
  private final byte[] rootSha256;

  private PinnedRoot(String name, byte[] rootSha256) {
    Check.argument(name != null && !name.isEmpty(), "a pinned root needs a name");
    Check.length(rootSha256, SHA256_BYTES, "pinned root SHA-256");
    this.name = name;
    this.rootSha256 = rootSha256;
  }

  /**
   * The root whose DER is {@code rootDer}. Production code uses {@link #intelSgxRoot()} and
   * {@link #awsNitroRootG1()}; tests use this with a throwaway root to run the real verification
   * path on synthetic evidence (package-private, like the verifier constructors that take it, so no
   * caller outside can swap a vendor's root out).
   */
  static PinnedRoot of(String name, byte[] rootDer) {
    Objects.requireNonNull(rootDer, "rootDer");
    return new PinnedRoot(name, Hashes.sha256(rootDer));
  }

  /**
   * INSECURE: the simulated "Intel SGX Root CA" of a {@link SimulatedTdxVendor}, pinned by the
   * SHA-256 a cluster's policy names ({@code simulated_tdx_root_sha256}). Only the verifier of
   * SIMULATED_TDX evidence uses it; Intel's own root is refused here, so real TDX quotes can never
   * pass as simulated ones (they are labelled TDX and judged under Intel's root).
   */
  static PinnedRoot simulatedTdxRoot(byte[] rootSha256) {
    Check.length(rootSha256, SHA256_BYTES, "simulated TDX root SHA-256");
    Check.argument(!INTEL.pins(rootSha256), "the simulated TDX root must not be Intel's SGX Root CA");
    return new PinnedRoot("simulated TDX root (INSECURE)", rootSha256.clone());
  }

  /** Intel's SGX Root CA, which roots every PCK chain and the TCB signing chain. */
  public static PinnedRoot intelSgxRoot() {
    return INTEL;
  }

  /** AWS Nitro Enclaves Root G1, which roots every Nitro attestation document. */
  public static PinnedRoot awsNitroRootG1() {
    return AWS;
  }

  public String name() {
    return name;
  }

  public byte[] rootSha256() {
    return rootSha256.clone();
  }

  boolean pins(byte[] sha256) {
    return MessageDigest.isEqual(rootSha256, sha256);
  }

  @Override
  public String toString() {
    return name + " (sha256 " + Hashes.shortHex(rootSha256, 8) + ")";
  }
}
