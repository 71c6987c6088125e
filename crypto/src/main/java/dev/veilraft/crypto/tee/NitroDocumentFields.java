package dev.veilraft.crypto.tee;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.RejectReason;
import java.io.IOException;

/**
 * The fields of a Nitro attestation document the attester checks: user_data (where the report
 * data goes) and PCR0..2 (the enclave image, kernel and application: what policies compare).
 * Layout in shared/vectors/LAYOUTS.md: an untagged COSE_Sign1 array whose payload is a CBOR map.
 * The signature and chain are the verifier's business.
 */
final class NitroDocumentFields {
  static final int COSE_SIGN1_ELEMENTS = 4;
  static final int PAYLOAD_INDEX = 2;
  static final int PCR_BYTES = 48;
  static final int MEASUREMENT_PCRS = 3;
  /** The NSM never returns more than NSM_RESPONSE_MAX_SIZE. */
  static final int DOCUMENT_BYTES_MAX = NsmDevice.RESPONSE_BYTES_MAX;

  private static final CBORMapper CBOR = new CBORMapper();

  private final byte[] userData;
  private final byte[] measurement;

  private NitroDocumentFields(byte[] userData, byte[] measurement) {
    this.userData = userData;
    this.measurement = measurement;
  }

  static NitroDocumentFields read(byte[] document) throws MalformedReportException {
    if (document == null || document.length == 0 || document.length > DOCUMENT_BYTES_MAX) {
      throw malformed("Nitro document is " + (document == null ? "missing" : document.length + " bytes")
          + ", outside 1.." + DOCUMENT_BYTES_MAX);
    }
    try {
      JsonNode cose = CBOR.readTree(document);
      if (cose == null || !cose.isArray() || cose.size() != COSE_SIGN1_ELEMENTS
          || !cose.get(PAYLOAD_INDEX).isBinary()) {
        throw malformed("Nitro document is not a COSE_Sign1 array of 4 with a byte-string payload");
      }
      JsonNode payload = CBOR.readTree(cose.get(PAYLOAD_INDEX).binaryValue());
      if (payload == null || !payload.isObject()) {
        throw malformed("Nitro document payload is not a CBOR map");
      }
      JsonNode userDataNode = payload.path("user_data");
      byte[] userData = userDataNode.isBinary() ? userDataNode.binaryValue() : new byte[0];
      JsonNode pcrs = payload.path("pcrs");
      byte[] measurement = new byte[PCR_BYTES * MEASUREMENT_PCRS];
      for (int i = 0; i < MEASUREMENT_PCRS; i++) {
        JsonNode pcr = pcrs.path(Integer.toString(i));
        if (!pcr.isBinary() || pcr.binaryValue().length != PCR_BYTES) {
          throw malformed("Nitro document has no " + PCR_BYTES + "-byte PCR" + i);
        }
        System.arraycopy(pcr.binaryValue(), 0, measurement, i * PCR_BYTES, PCR_BYTES);
      }
      return new NitroDocumentFields(userData, measurement);
    } catch (IOException e) {
      throw malformed("Nitro document is not valid CBOR: " + e.getMessage());
    }
  }

  /** user_data, empty when absent or null. */
  byte[] userData() {
    return userData.clone();
  }

  /** PCR0 || PCR1 || PCR2. */
  byte[] measurement() {
    return measurement.clone();
  }

  private static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }
}
