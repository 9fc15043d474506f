/**
 * The Sparkplug B protobuf schema (`sparkplug_b.proto`, package
 * org.eclipse.tahu.protobuf, Sparkplug 3.0 §6.4) as a protobufjs JSON
 * descriptor, loaded with `protobufjs/light` — the public API of the field's
 * protobuf library, no generated code, no command-line tooling, no private
 * path of another package. The `extension_value` members are left out: they
 * carry no standard data and protobufjs skips unknown fields on decode.
 * The field names are protobufjs' camelCase of the .proto names.
 */
import protobuf from 'protobufjs/light';

const VALUE_ONEOF_TYPES = { intValue: 'uint32', longValue: 'uint64', floatValue: 'float', doubleValue: 'double', booleanValue: 'bool', stringValue: 'string' } as const;

/** Scalar oneof members numbered from `first`, in the .proto order. */
function scalarValues(first: number): Record<string, { type: string; id: number }> {
  const out: Record<string, { type: string; id: number }> = {};
  let id = first;
  for (const [name, type] of Object.entries(VALUE_ONEOF_TYPES)) out[name] = { type, id: id++ };
  return out;
}

const descriptor = {
  nested: {
    org: {
      nested: {
        eclipse: {
          nested: {
            tahu: {
              nested: {
                protobuf: {
                  nested: {
                    Payload: {
                      // proto2: explicit presence, so a seq or value of 0 is written and read back.
                      edition: 'proto2',
                      fields: {
                        timestamp: { type: 'uint64', id: 1 },
                        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                        seq: { type: 'uint64', id: 3 },
                        uuid: { type: 'string', id: 4 },
                        body: { type: 'bytes', id: 5 },
                      },
                      nested: {
                        Template: {
                          fields: {
                            version: { type: 'string', id: 1 },
                            metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                            parameters: { rule: 'repeated', type: 'Parameter', id: 3 },
                            templateRef: { type: 'string', id: 4 },
                            isDefinition: { type: 'bool', id: 5 },
                          },
                          nested: {
                            Parameter: {
                              oneofs: { value: { oneof: Object.keys(VALUE_ONEOF_TYPES) } },
                              fields: { name: { type: 'string', id: 1 }, type: { type: 'uint32', id: 2 }, ...scalarValues(3) },
                            },
                          },
                        },
                        DataSet: {
                          fields: {
                            numOfColumns: { type: 'uint64', id: 1 },
                            columns: { rule: 'repeated', type: 'string', id: 2 },
                            types: { rule: 'repeated', type: 'uint32', id: 3, options: { packed: false } },
                            rows: { rule: 'repeated', type: 'Row', id: 4 },
                          },
                          nested: {
                            DataSetValue: {
                              oneofs: { value: { oneof: Object.keys(VALUE_ONEOF_TYPES) } },
                              fields: scalarValues(1),
                            },
                            Row: { fields: { elements: { rule: 'repeated', type: 'DataSetValue', id: 1 } } },
                          },
                        },
                        PropertyValue: {
                          oneofs: { value: { oneof: [...Object.keys(VALUE_ONEOF_TYPES), 'propertysetValue', 'propertysetsValue'] } },
                          fields: {
                            type: { type: 'uint32', id: 1 },
                            isNull: { type: 'bool', id: 2 },
                            ...scalarValues(3),
                            propertysetValue: { type: 'PropertySet', id: 9 },
                            propertysetsValue: { type: 'PropertySetList', id: 10 },
                          },
                        },
                        PropertySet: {
                          fields: { keys: { rule: 'repeated', type: 'string', id: 1 }, values: { rule: 'repeated', type: 'PropertyValue', id: 2 } },
                        },
                        PropertySetList: { fields: { propertyset: { rule: 'repeated', type: 'PropertySet', id: 1 } } },
                        MetaData: {
                          fields: {
                            isMultiPart: { type: 'bool', id: 1 },
                            contentType: { type: 'string', id: 2 },
                            size: { type: 'uint64', id: 3 },
                            seq: { type: 'uint64', id: 4 },
                            fileName: { type: 'string', id: 5 },
                            fileType: { type: 'string', id: 6 },
                            md5: { type: 'string', id: 7 },
                            description: { type: 'string', id: 8 },
                          },
                        },
                        Metric: {
                          oneofs: { value: { oneof: [...Object.keys(VALUE_ONEOF_TYPES), 'bytesValue', 'datasetValue', 'templateValue'] } },
                          fields: {
                            name: { type: 'string', id: 1 },
                            alias: { type: 'uint64', id: 2 },
                            timestamp: { type: 'uint64', id: 3 },
                            datatype: { type: 'uint32', id: 4 },
                            isHistorical: { type: 'bool', id: 5 },
                            isTransient: { type: 'bool', id: 6 },
                            isNull: { type: 'bool', id: 7 },
                            metadata: { type: 'MetaData', id: 8 },
                            properties: { type: 'PropertySet', id: 9 },
                            ...scalarValues(10),
                            bytesValue: { type: 'bytes', id: 16 },
                            datasetValue: { type: 'DataSet', id: 17 },
                            templateValue: { type: 'Template', id: 18 },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

/** The Payload message type (decode, encode, create). */
export const PayloadType = root.lookupType('org.eclipse.tahu.protobuf.Payload');
