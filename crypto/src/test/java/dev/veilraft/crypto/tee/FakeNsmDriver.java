package dev.veilraft.crypto.tee;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

/**
 * Plays the NSM driver on the raw nsm_raw memory: decodes the CBOR request, and answers with a real
 * attestation document. When the requested user_data differs from the document's, it re-encodes
 * the payload with the new user_data, as the NSM would write it (the signature then no longer
 * verifies, which the attester does not check).
 */
final class FakeNsmDriver implements DeviceIo {
  private static final CBORMapper CBOR = new CBORMapper();
  private final byte[] document;
  JsonNode lastRequest;
  Map<String, Object> errorResponse;

  FakeNsmDriver(byte[] document) {
    this.document = document.clone();
  }

  @Override
  public int open(String path) {
    return 3;
  }

  @Override
  public int ioctl(int fd, long request, Pointer arg) throws ErrnoException {
    if (request != Ioctl.NSM_IOCTL_RAW) {
      throw new ErrnoException("ioctl", Errno.ENOTTY);
    }
    try {
      byte[] in = new Pointer(arg.getLong(0)).getByteArray(0, (int) arg.getLong(8));
      lastRequest = CBOR.readTree(in);
      byte[] answer = errorResponse != null ? CBOR.writeValueAsBytes(errorResponse)
          : CBOR.writeValueAsBytes(Map.of("Attestation", Map.of("document",
              documentFor(lastRequest.path("Attestation").path("user_data").binaryValue()))));
      if (answer.length > arg.getLong(24)) {
        throw new ErrnoException("ioctl", Errno.EMSGSIZE);
      }
      new Pointer(arg.getLong(16)).write(0, answer, 0, answer.length);
      arg.setLong(24, answer.length);
      return 0;
    } catch (IOException e) {
      throw new ErrnoException("ioctl", Errno.EINVAL);
    }
  }

  private byte[] documentFor(byte[] userData) throws IOException {
    ArrayNode cose = (ArrayNode) CBOR.readTree(document);
    ObjectNode payload = (ObjectNode) CBOR.readTree(cose.get(2).binaryValue());
    if (payload.path("user_data").isBinary() && Arrays.equals(payload.get("user_data").binaryValue(), userData)) {
      return document.clone();
    }
    payload.put("user_data", userData);
    cose.set(2, cose.binaryNode(encodePayload(payload)));
    return CBOR.writeValueAsBytes(cose);
  }

  /**
   * The payload as the NSM encodes it: text keys, except the PCR map whose keys are unsigned
   * integers (a Jackson tree would turn them into text, which the strict parser refuses).
   */
  private static byte[] encodePayload(ObjectNode payload) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CBORGenerator generator = CBOR.getFactory().createGenerator(out)) {
      generator.writeStartObject();
      for (Map.Entry<String, JsonNode> field : payload.properties()) {
        generator.writeFieldName(field.getKey());
        if (field.getKey().equals("pcrs")) {
          generator.writeStartObject();
          for (Map.Entry<String, JsonNode> pcr : field.getValue().properties()) {
            generator.writeFieldId(Long.parseLong(pcr.getKey()));
            generator.writeBinary(pcr.getValue().binaryValue());
          }
          generator.writeEndObject();
        } else {
          CBOR.writeTree(generator, field.getValue());
        }
      }
      generator.writeEndObject();
    }
    return out.toByteArray();
  }

  @Override
  public void close(int fd) {}
}
