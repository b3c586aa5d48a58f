"""The manufacturer exchange (上下传数据): a documented, versioned JSON file format for what a dealer and
the manufacturer send each other (sales orders, vehicle stock, warranty claims, parts orders), its JSON
Schemas (docs/exchange/v1/, `python -m dealer_portal.exchange.schema docs/exchange`), export and import
with a validation report (`dms dealer exchange export|import`). See docs/exchange/README.md."""
