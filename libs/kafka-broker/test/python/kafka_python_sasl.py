"""kafka-python with SASL (SaslHandshake v0, then bare tokens): PLAIN by default, or a SCRAM mechanism,
over TLS when a CA file is given. Usage: BOOTSTRAP USER PASSWORD TOPIC [MECHANISM [CAFILE]]"""
import json
import sys

from kafka import KafkaProducer

bootstrap, user, password, topic = sys.argv[1:5]
mechanism = sys.argv[5] if len(sys.argv) > 5 else 'PLAIN'
cafile = sys.argv[6] if len(sys.argv) > 6 else None
producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    security_protocol='SASL_SSL' if cafile else 'SASL_PLAINTEXT',
    ssl_cafile=cafile,
    sasl_mechanism=mechanism,
    sasl_plain_username=user,
    sasl_plain_password=password,
)
meta = producer.send(topic, value=b'secured').get(timeout=10)
producer.close()
print(json.dumps({'offset': meta.offset}))
