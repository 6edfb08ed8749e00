# Production image: the ASGI app with its static files collected.

FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN DJANGO_SECRET_KEY=collectstatic-only REDIS_URL=redis://collectstatic-only \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 relay \
    && mkdir -p /app/media && chown relay /app/media
USER relay
EXPOSE 8000
# uvicorn with the options scripts/serve-production explains.
CMD ["scripts/serve-production"]
