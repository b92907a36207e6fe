// No browser visits a page in this demo; the specs are plain assertions.
module.exports = {
  e2e: { supportFile: false, specPattern: "cypress/e2e/**/*.cy.{js,jsx,ts,tsx}" },
};
