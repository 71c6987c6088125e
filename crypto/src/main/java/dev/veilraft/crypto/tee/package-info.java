/**
 * Attestation on real TEE hardware: which TEE a machine offers, the attesters on it, and the
 * SEV-SNP endorsements (certificates) that make its evidence verifiable.
 *
 * <p>Main types:
 * <ul>
 *   <li>{@link dev.veilraft.crypto.tee.TeeDetection} / {@link dev.veilraft.crypto.tee.TeeEnvironment}:
 *       what the machine offers, one line per finding for {@code veilraft hardware}.</li>
 *   <li>{@link dev.veilraft.crypto.tee.HardwareAttesters}: opens the preferred attester.</li>
 *   <li>Attesters: {@link dev.veilraft.crypto.tee.ConfigfsTsmAttester} (SEV-SNP and TDX through
 *       configfs-tsm), {@link dev.veilraft.crypto.tee.TdxQuoteAttester},
 *       {@link dev.veilraft.crypto.tee.SevGuestAttester} ({@code /dev/sev-guest}),
 *       {@link dev.veilraft.crypto.tee.NitroNsmAttester} ({@code /dev/nsm}).</li>
 *   <li>Devices through JNA ioctls: {@link dev.veilraft.crypto.tee.SevGuestDevice},
 *       {@link dev.veilraft.crypto.tee.TdxGuestDevice} (TDREPORT only),
 *       {@link dev.veilraft.crypto.tee.NsmDevice}; request numbers in {@link dev.veilraft.crypto.tee.Ioctl}.</li>
 *   <li>{@link dev.veilraft.crypto.tee.SnpCertificateTable}: the host's GUID table of certificates.</li>
 *   <li>{@link dev.veilraft.crypto.tee.SnpEndorsements}: the VCEK/VLEK, ASK/ASVK and ARK of a report,
 *       from the host's table, an on-disk {@link dev.veilraft.crypto.tee.SnpEndorsementCache}, or
 *       AMD KDS ({@link dev.veilraft.crypto.tee.AmdKdsClient}).</li>
 * </ul>
 *
 * <p>Invariants: everything the host hands over (certificate tables, blobs, device answers) is
 * bounded and parsed defensively, with errors naming the device, attribute or entry at fault;
 * evidence always echoes the report data asked for; nothing here judges evidence (the verifiers in
 * {@code dev.veilraft.crypto.attestation} do), and nothing falls back to the simulated TEE.
 *
 * <p>Caller's duties: run with access to the devices or configfs (usually root); give SEV-SNP
 * attesters an endorsement cache directory, and a KDS client unless the cache is filled by hand,
 * because AMD KDS rate-limits; close device attesters when done. Not implemented: the TDX quote
 * ioctl (Linux exposes quotes only through configfs-tsm), automatic CRL fetching (see
 * {@link dev.veilraft.crypto.tee.AmdKdsClient#crl}), Azure vTPM-wrapped evidence.
 */
package dev.veilraft.crypto.tee;
