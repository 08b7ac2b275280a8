# The kit in a container, for machines with no native route: Windows, macOS (Intel; Apple
# Silicon under amd64 emulation), Linux arm64, ChromeOS, Codespaces. README.md, "Every
# platform", has the commands; in short:
#
#   docker build --platform linux/amd64 -t softmax-kit .     (podman build works the same)
#   docker run --rm -p 127.0.0.1:8888:8888 softmax-kit
#
# then open the http://127.0.0.1:8888/lab?token=... address it prints. The image holds
# Debian's Python 3.11, the pinned environment and the data: once built it needs no network.
# Built from an unpacked classroom bundle (./kit bundle), it installs from its wheels.
#
# Behind a proxy that inspects HTTPS, give the build the proxy's CA certificate (PEM) as a
# build secret: pip trusts it beside Debian's, for this build only (not kept in the image):
#
#   docker build --secret id=ca,src=/path/to/proxy-ca.pem --platform linux/amd64 -t softmax-kit .
#
# (podman build takes the same option; docker needs BuildKit, its default since Docker 23.)
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3.11 python3.11-venv libgomp1 libquadmath0 dataset-fashion-mnist ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --shell /bin/bash student
USER student
WORKDIR /home/student/softmax-kit
COPY --chown=student:student . .
RUN --mount=type=secret,id=ca,mode=0444,required=false \
    if [ -s /run/secrets/ca ]; then \
        cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca > /tmp/kit-ca.pem \
        && export PIP_CERT=/tmp/kit-ca.pem; \
    fi \
 && KIT_PYTHON=/usr/bin/python3.11 ./kit setup \
 && rm -rf /home/student/.cache/pip /tmp/kit-ca.pem

EXPOSE 8888
CMD ["./kit", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
