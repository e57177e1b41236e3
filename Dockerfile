# The lexstream worker image for docker-compose.yml. npm ci installs the pinned Node 22 (the `node`
# devDependency) and every dependency, Tesseract's English model included: nothing is downloaded at
# run time.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV LEXSTREAM_METRICS_PORT=9464
EXPOSE 9464
CMD ["node", "bin/lexstream.js", "worker", "--projector"]
