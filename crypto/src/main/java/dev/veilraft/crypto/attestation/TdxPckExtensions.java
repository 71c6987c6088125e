package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;

/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1): which platform the PCK
 * belongs to (FMSPC, PCE id) and the TCB it was issued for (16 SGX TCB component SVNs and the
 * PCESVN). Intel's TCB info is looked up by FMSPC and its levels are matched against this TCB.
 *
 * @param fmspc family-model-stepping-platform-custom-SKU, 6 bytes
 * @param pceId PCE id, 2 bytes
 * @param sgxTcbComponents SGX TCB component SVNs 1..16 (each 0..255), in order
 * @param pceSvn the PCE security version (0..65535)
 * @param cpuSvn CPUSVN as issued, 16 bytes
 */
public record TdxPckExtensions(byte[] fmspc, byte[] pceId, int[] sgxTcbComponents, int pceSvn, byte[] cpuSvn) {
  static final String SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1";
  static final int FMSPC_BYTES = 6;
  static final int PCE_ID_BYTES = 2;
  static final int CPU_SVN_BYTES = 16;
  static final int SGX_TCB_COMPONENTS = 16;
  static final int PPID_BYTES = 16;
  /** Bound on the extension's DER; Intel's is about 560 bytes. */
  static final int EXTENSION_BYTES_MAX = 4 * 1024;
  private static final int SVN_MAX = 255;
  private static final int PCE_SVN_MAX = 65535;
  private static final ASN1ObjectIdentifier SGX = new ASN1ObjectIdentifier(SGX_EXTENSIONS_OID);
  private static final ASN1ObjectIdentifier TCB = SGX.branch("2");
  private static final ASN1ObjectIdentifier PCE_ID = SGX.branch("3");
  private static final ASN1ObjectIdentifier FMSPC = SGX.branch("4");
  /** Within the TCB sequence: .2.1 .. .2.16 SGX components, .2.17 PCESVN, .2.18 CPUSVN. */
  private static final int TCB_PCE_SVN_ARC = 17;
  private static final int TCB_CPU_SVN_ARC = 18;

  public TdxPckExtensions {
    fmspc = fmspc.clone();
    pceId = pceId.clone();
    sgxTcbComponents = sgxTcbComponents.clone();
    cpuSvn = cpuSvn.clone();
  }

  @Override
  public byte[] fmspc() {
    return fmspc.clone();
  }

  @Override
  public byte[] pceId() {
    return pceId.clone();
  }

  @Override
  public int[] sgxTcbComponents() {
    return sgxTcbComponents.clone();
  }

  @Override
  public byte[] cpuSvn() {
    return cpuSvn.clone();
  }

  /** Reads the SGX extension of a PCK leaf; anything missing or out of range is {@code MALFORMED}. */
  static TdxPckExtensions of(X509Certificate pck) throws Rejection {
    byte[] wrapped = pck.getExtensionValue(SGX_EXTENSIONS_OID);
    if (wrapped == null) {
      throw malformed("has no SGX extension (" + SGX_EXTENSIONS_OID + ")");
    }
    if (wrapped.length > EXTENSION_BYTES_MAX) {
      throw malformed("has an SGX extension of " + wrapped.length + " bytes; at most " + EXTENSION_BYTES_MAX
          + " are accepted");
    }
    try {
      ASN1Sequence entries = ASN1Sequence.getInstance(
          ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(wrapped).getOctets()));
      byte[] fmspc = null;
      byte[] pceId = null;
      ASN1Sequence tcb = null;
      for (ASN1Encodable entry : entries) {
        ASN1Sequence pair = ASN1Sequence.getInstance(entry);
        if (pair.size() != 2) {
          throw malformed("has an SGX extension entry with " + pair.size() + " elements (need OID and value)");
        }
        ASN1ObjectIdentifier oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0));
        if (oid.equals(FMSPC)) {
          fmspc = octets(pair.getObjectAt(1), FMSPC_BYTES, "FMSPC");
        } else if (oid.equals(PCE_ID)) {
          pceId = octets(pair.getObjectAt(1), PCE_ID_BYTES, "PCE-ID");
        } else if (oid.equals(TCB)) {
          tcb = ASN1Sequence.getInstance(pair.getObjectAt(1));
        }
      }
      if (fmspc == null || pceId == null || tcb == null) {
        throw malformed("lacks " + (fmspc == null ? "FMSPC" : pceId == null ? "PCE-ID" : "TCB")
            + " in its SGX extension");
      }
      return fromTcb(fmspc, pceId, tcb);
    } catch (IOException | IllegalArgumentException | ClassCastException e) {
      throw malformed("has an SGX extension that is not valid DER (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static TdxPckExtensions fromTcb(byte[] fmspc, byte[] pceId, ASN1Sequence tcb) throws Rejection {
    int[] components = new int[SGX_TCB_COMPONENTS];
    Arrays.fill(components, -1);
    int pceSvn = -1;
    byte[] cpuSvn = null;
    for (ASN1Encodable entry : tcb) {
      ASN1Sequence pair = ASN1Sequence.getInstance(entry);
      if (pair.size() != 2) {
        throw malformed("has a TCB entry with " + pair.size() + " elements (need OID and value)");
      }
      ASN1ObjectIdentifier oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0));
      if (!oid.on(TCB)) {
        continue;
      }
      int arc = lastArc(oid);
      if (arc >= 1 && arc <= SGX_TCB_COMPONENTS) {
        components[arc - 1] = integer(pair.getObjectAt(1), SVN_MAX, "SGX TCB component " + arc);
      } else if (arc == TCB_PCE_SVN_ARC) {
        pceSvn = integer(pair.getObjectAt(1), PCE_SVN_MAX, "PCESVN");
      } else if (arc == TCB_CPU_SVN_ARC) {
        cpuSvn = octets(pair.getObjectAt(1), CPU_SVN_BYTES, "CPUSVN");
      }
    }
    for (int i = 0; i < SGX_TCB_COMPONENTS; i++) {
      if (components[i] < 0) {
        throw malformed("lacks SGX TCB component " + (i + 1) + " in its SGX extension");
      }
    }
    if (pceSvn < 0) {
      throw malformed("lacks PCESVN in its SGX extension");
    }
    return new TdxPckExtensions(fmspc, pceId, components, pceSvn, cpuSvn == null ? new byte[CPU_SVN_BYTES] : cpuSvn);
  }

  /**
   * This TCB as the value of a PCK certificate's SGX extension, laid out as Intel issues it: PPID,
   * TCB (16 SGX components, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type 0 (standard). Only the
   * simulated vendor writes PCK certificates; {@link #of} reads what it writes like any other.
   */
  ASN1Encodable encode(byte[] ppid) {
    if (ppid.length != PPID_BYTES) {
      throw new IllegalArgumentException("a PPID is " + PPID_BYTES + " bytes, got " + ppid.length);
    }
    ASN1EncodableVector tcb = new ASN1EncodableVector();
    for (int i = 0; i < SGX_TCB_COMPONENTS; i++) {
      tcb.add(pair(TCB.branch(Integer.toString(i + 1)), new ASN1Integer(sgxTcbComponents[i])));
    }
    tcb.add(pair(TCB.branch(Integer.toString(TCB_PCE_SVN_ARC)), new ASN1Integer(pceSvn)));
    tcb.add(pair(TCB.branch(Integer.toString(TCB_CPU_SVN_ARC)), new DEROctetString(cpuSvn)));
    ASN1EncodableVector all = new ASN1EncodableVector();
    all.add(pair(SGX.branch("1"), new DEROctetString(ppid)));
    all.add(pair(TCB, new DERSequence(tcb)));
    all.add(pair(PCE_ID, new DEROctetString(pceId)));
    all.add(pair(FMSPC, new DEROctetString(fmspc)));
    all.add(pair(SGX.branch("5"), new ASN1Enumerated(0)));
    return new DERSequence(all);
  }

  /** The OID of the SGX extension, for certificate builders. */
  static ASN1ObjectIdentifier extensionOid() {
    return SGX;
  }

  private static DERSequence pair(ASN1ObjectIdentifier oid, ASN1Encodable value) {
    return new DERSequence(new ASN1Encodable[] {oid, value});
  }

  private static int lastArc(ASN1ObjectIdentifier oid) {
    String id = oid.getId();
    if (id.lastIndexOf('.') != TCB.getId().length()) {
      return -1; // not a direct child of the TCB arc
    }
    String tail = id.substring(id.lastIndexOf('.') + 1);
    // Arcs of interest are 1..18; anything longer is ignored as unknown.
    return tail.length() > 3 ? -1 : Integer.parseInt(tail);
  }

  private static byte[] octets(ASN1Encodable value, int length, String what) throws Rejection {
    byte[] bytes = ASN1OctetString.getInstance(value).getOctets();
    if (bytes.length != length) {
      throw malformed("has a " + what + " of " + bytes.length + " bytes in its SGX extension (need " + length + ")");
    }
    return bytes;
  }

  private static int integer(ASN1Encodable value, int max, String what) throws Rejection {
    BigInteger n = ASN1Integer.getInstance(value).getValue();
    if (n.signum() < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      throw malformed("has " + what + " = " + n + " in its SGX extension (need 0.." + max + ")");
    }
    return n.intValueExact();
  }

  private static Rejection malformed(String what) {
    return new Rejection(RejectReason.MALFORMED, "PCK certificate " + what);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TdxPckExtensions that && Arrays.equals(fmspc, that.fmspc)
        && Arrays.equals(pceId, that.pceId) && Arrays.equals(sgxTcbComponents, that.sgxTcbComponents)
        && pceSvn == that.pceSvn && Arrays.equals(cpuSvn, that.cpuSvn);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(fmspc) * 31 + Arrays.hashCode(sgxTcbComponents) + pceSvn;
  }

  @Override
  public String toString() {
    return "TdxPckExtensions{fmspc=" + Hashes.hex(fmspc) + ", pceId=" + Hashes.hex(pceId) + ", sgxTcb="
        + Arrays.toString(sgxTcbComponents) + ", pceSvn=" + pceSvn + "}";
  }
}
